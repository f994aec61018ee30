// search-type with the parameters the core server evaluates — search.html (_id, identifier, _lastUpdated)
import t from 'tap'
import { startTestServer } from '../../helpers/test-server.js'

t.test('search', async (t) => {
  const hub = await startTestServer(t)
  const nhs = 'https://fhir.nhs.uk/Id/nhs-number'
  const p1: any = await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', identifier: [{ system: nhs, value: '9434765870' }] } })
  const p2: any = await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', identifier: [{ value: 'local-7' }] } })

  t.test('identifier as system|value, value, system| and |value (search.html#token)', async (t) => {
    const ids = async (q: string) => ((await (await hub.fetch(`Patient?${q}`)).json()) as any).entry.filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id)
    t.same(await ids(`identifier=${encodeURIComponent(`${nhs}|9434765870`)}`), [p1.id])
    t.same(await ids('identifier=9434765870'), [p1.id])
    t.same(await ids(`identifier=${encodeURIComponent(`${nhs}|`)}`), [p1.id])
    t.same(await ids('identifier=%7Clocal-7'), [p2.id])
    t.same(await ids('identifier=%7C9434765870'), [], '|value requires no system')
    t.same((await ids(`identifier=9434765870,local-7`)).sort(), [p1.id, p2.id].sort(), 'comma is OR')
  })

  t.test('_id and POST _search', async (t) => {
    const res = await hub.fetch('Patient/_search', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `_id=${p2.id}`,
    })
    const body: any = await res.json()
    t.equal(body.type, 'searchset')
    t.equal(body.total, 1)
    t.equal(body.entry[0].fullUrl, `${hub.url}/Patient/${p2.id}`)
  })

  t.test('unsupported parameters: warning by default, 400 with Prefer: handling=strict', async (t) => {
    const lenient: any = await (await hub.fetch('Patient?nonsense=1')).json()
    const warning = lenient.entry.find((e: any) => e.search.mode === 'outcome')
    t.equal(warning.resource.issue[0].severity, 'warning')
    const strict = await hub.fetch('Patient?nonsense=1', { headers: { prefer: 'handling=strict' } })
    t.equal(strict.status, 400)
  })

  t.test('_summary=count returns only the total', async (t) => {
    const body: any = await (await hub.fetch('Patient?_summary=count')).json()
    t.equal(body.total, 2)
    t.notOk(body.entry)
  })
})
