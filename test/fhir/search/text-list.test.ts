// _text, _content (search.html#text) and _list (search.html#list): parameters of every resource
// that the index tables do not hold.
import type { Resource } from '@medplum/fhirtypes'
import t from 'tap'
import { startTestServer } from '../../helpers/test-server.js'
import { entriesOf, matchIds, putAll, runTable, searchBundle, type Row } from './helpers.js'

const narrative = (html: string) => ({ status: 'generated' as const, div: `<div xmlns="http://www.w3.org/1999/xhtml">${html}</div>` })

const fixtures: Resource[] = [
  { resourceType: 'Patient', id: 'tx-heart', text: narrative('Lives alone; <b>heart failure</b> since 2019'), name: [{ family: 'Okafor' }] },
  { resourceType: 'Patient', id: 'tx-copd', text: narrative('COPD, uses home oxygen'), name: [{ family: 'Heart' }] },
  { resourceType: 'Patient', id: 'tx-plain', name: [{ family: 'Lindqvist', given: ['Astrid'] }], address: [{ city: 'Altrincham' }] },
  {
    resourceType: 'Observation',
    id: 'tx-obs',
    status: 'final',
    code: { text: 'Residence: nursing home' },
    subject: { reference: 'Patient/tx-plain' },
  },
  { resourceType: 'List', id: 'caseload', status: 'current', mode: 'working', entry: [{ item: { reference: 'Patient/tx-heart' } }, { item: { reference: 'Patient/tx-plain' } }] },
  { resourceType: 'List', id: 'watch', status: 'current', mode: 'working', entry: [{ item: { reference: 'Patient/tx-copd' } }, { item: { reference: 'Observation/tx-obs' } }] },
]

const rows: Row[] = [
  { name: '_text: a word of the narrative, in any case', query: 'Patient?_text=HEART', expect: ['tx-heart'] },
  { name: '_text: markup is not text', query: 'Patient?_text=div', expect: [] },
  { name: '_text: every word must be there', query: 'Patient?_text=heart%20oxygen', expect: [] },
  { name: '_text: or', query: 'Patient?_text=heart%20or%20oxygen', expect: ['tx-heart', 'tx-copd'] },
  { name: '_text: a quoted phrase', query: 'Patient?_text=%22heart%20failure%22', expect: ['tx-heart'] },
  { name: '_text: a word left out', query: 'Patient?_text=copd%20-oxygen', expect: [] },
  { name: '_content: a word in any element, narrative included', query: 'Patient?_content=heart', expect: ['tx-heart', 'tx-copd'] },
  { name: '_content: an address', query: 'Patient?_content=altrincham', expect: ['tx-plain'] },
  { name: '_content with another parameter', query: 'Patient?_content=heart&family=heart', expect: ['tx-copd'] },
  { name: '_content through a chain', query: 'Observation?subject._content=astrid', expect: ['tx-obs'] },
  { name: '_list: the resources of one type a List holds', query: 'Patient?_list=caseload', expect: ['tx-heart', 'tx-plain'] },
  { name: '_list: several lists (or)', query: 'Patient?_list=caseload,watch', expect: ['tx-heart', 'tx-plain', 'tx-copd'] },
  { name: '_list: other types in the List are not Patients', query: 'Observation?_list=watch', expect: ['tx-obs'] },
  { name: '_list: a List that does not exist holds nothing', query: 'Patient?_list=nothing-here', expect: [] },
  { name: '_list with another parameter', query: 'Patient?_list=caseload&family=okafor', expect: ['tx-heart'] },
]

t.test('_text, _content and _list', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, fixtures)

  t.test('search table', async (t) => runTable(t, hub, 'text', rows))

  t.test('a functional list is not supported: a warning, or 400 under handling=strict (search.html#list)', async (t) => {
    const lenient = await searchBundle(hub, 'Patient?_list=$current-problems')
    t.equal(lenient.status, 200)
    const warning = entriesOf(lenient.body, 'outcome')[0]?.resource.issue[0]
    t.match(warning, { severity: 'warning', code: 'not-supported', expression: ['_list'] })
    const strict = await searchBundle(hub, 'Patient?_list=$current-problems', { headers: { prefer: 'handling=strict' } })
    t.equal(strict.status, 400)
    t.equal(strict.body.resourceType, 'OperationOutcome')
  })

  t.test('bad values are 400 with the parameter named', async (t) => {
    for (const [query, where] of [
      ['Patient?_text=', '_text'],
      ['Patient?_content:exact=heart', '_content:exact'],
      ['Patient?_list=not%20an%20id', '_list'],
    ]) {
      const { status, body } = await searchBundle(hub, query)
      t.equal(status, 400, query)
      t.same(body.issue?.[0]?.expression, [where], `${query}: names ${where}`)
    }
  })

  t.test('the CapabilityStatement lists _text, _content and _list for every type', async (t) => {
    const cs = await (await hub.fetch('metadata')).json()
    for (const type of ['Patient', 'Observation', 'Task']) {
      const names = cs.rest[0].resource.find((r: any) => r.type === type).searchParam.map((p: any) => p.name)
      t.ok(['_text', '_content', '_list'].every((n) => names.includes(n)), type)
    }
  })

  t.test('words written later are found at once (no index to rebuild)', async (t) => {
    await hub.client.update({ resourceType: 'Patient', id: 'tx-plain', body: { resourceType: 'Patient', id: 'tx-plain', text: narrative('Frailty'), name: [{ family: 'Lindqvist' }] } })
    t.same(await matchIds(hub, 'Patient?_text=frailty'), ['tx-plain'])
    t.same(await matchIds(hub, 'Patient?_content=altrincham'), [], 'the old version no longer matches')
  })
})
