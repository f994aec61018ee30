// Details of search.html that conformance suites probe, beyond the parameter tables:
// - _type chooses types only in searches across types (compartment `*`, system search);
// - the self link names what was applied (search.html#self): _count as capped, not _contained;
// - strict handling names each parameter it refuses (search.html#errors);
// - _id takes the token modifiers :not and :missing;
// - _lastUpdated at millisecond precision is the range of that millisecond (search.html#date);
// - quantity "n||unit" matches the coded or the stated human unit (search.html#quantity);
// - _elements keeps mandatory elements and leaves included resources whole (search.html#elements);
// - the CapabilityStatement lists system-level parameters and the _include wildcards.
import t from 'tap'
import pg from 'pg'
import type { Resource } from '@medplum/fhirtypes'
import { startTestServer } from '../../helpers/test-server.js'
import { entriesOf, matchIds, putAll, searchBundle } from './helpers.js'

const UCUM = 'http://unitsofmeasure.org'
const strict = { headers: { prefer: 'handling=strict' } }
const selfLink = (bundle: any) => new URL(bundle.link.find((l: any) => l.relation === 'self').url)

const fixtures: Resource[] = [
  { resourceType: 'Patient', id: 'sd-p1', name: [{ family: 'Detail' }] },
  { resourceType: 'Patient', id: 'sd-p2', name: [{ family: 'Detail' }] },
  {
    resourceType: 'Observation', id: 'sd-pulse', status: 'final', code: { text: 'pulse' }, subject: { reference: 'Patient/sd-p1' },
    valueQuantity: { value: 72, unit: 'beats/min', system: UCUM, code: '/min' },
  },
  { resourceType: 'Observation', id: 'sd-weight', status: 'final', code: { text: 'weight' }, subject: { reference: 'Patient/sd-p1' }, valueQuantity: { value: 72, unit: 'kg', system: UCUM, code: 'kg' } },
  { resourceType: 'Condition', id: 'sd-cond', subject: { reference: 'Patient/sd-p1' }, code: { text: 'asthma' } },
  { resourceType: 'Encounter', id: 'sd-enc', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/sd-p1' }, length: { value: 3, unit: 'days', system: UCUM, code: 'd' } },
]

t.test('search details', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, fixtures)

  t.test('_type chooses among the types of a compartment `*` search (http.html#search)', async (t) => {
    const ids = await matchIds(hub, 'Patient/sd-p1/*?_type=Observation,Condition', true)
    t.same(ids.sort(), ['Condition/sd-cond', 'Observation/sd-pulse', 'Observation/sd-weight'])
    t.same(await matchIds(hub, 'Patient/sd-p1/*?_type=Encounter&_type=Condition', true).then((x) => x.sort()), ['Condition/sd-cond', 'Encounter/sd-enc'], 'repeated')
    for (const asked of ['Organization', 'Observation,Organization']) {
      const outside = await searchBundle(hub, `Patient/sd-p1/*?_type=${asked}`)
      t.equal(outside.status, 400, `a type outside the compartment: ${asked}`)
      t.same(outside.body.issue[0].expression, ['_type'])
    }
    t.equal((await searchBundle(hub, 'Patient/sd-p1/*?_type=Nonsense')).status, 400, 'an unknown type')
  })

  t.test('_type on a search of one type is not applied: a warning, or 400 when strict', async (t) => {
    const { status, body } = await searchBundle(hub, 'Patient?_type=Observation&family=detail')
    t.equal(status, 200)
    t.same(entriesOf(body, 'match').map((e: any) => e.resource.id).sort(), ['sd-p1', 'sd-p2'])
    const warning = entriesOf(body, 'outcome')[0]?.resource.issue[0]
    t.equal(warning?.severity, 'warning')
    t.same(warning?.expression, ['_type'])
    t.notOk(selfLink(body).searchParams.has('_type'), 'not in the self link')
    t.equal((await searchBundle(hub, 'Patient?_type=Observation', strict)).status, 400)
    t.equal((await searchBundle(hub, 'Patient?_type=Patient&family=detail', strict)).status, 200, 'naming the searched type itself is fine')
  })

  t.test('_contained: the default (false) is applied, searching contained resources is not', async (t) => {
    const plain = await searchBundle(hub, 'Patient?family=detail&_contained=false')
    t.equal(plain.status, 200)
    t.equal(selfLink(plain.body).searchParams.get('_contained'), 'false')
    const asked = await searchBundle(hub, 'Patient?family=detail&_contained=true')
    t.equal(asked.status, 200)
    t.same(entriesOf(asked.body, 'outcome')[0]?.resource.issue[0].expression, ['_contained'])
    t.notOk(selfLink(asked.body).searchParams.has('_contained'), 'not claimed in the self link')
    t.equal((await searchBundle(hub, 'Patient?family=detail&_contained=both', strict)).status, 400)
    t.equal((await searchBundle(hub, 'Patient?family=detail&_containedType=contained', strict)).status, 400)
  })

  t.test('the self link shows _count as applied, capped at 1000', async (t) => {
    const { body } = await searchBundle(hub, 'Patient?family=detail&_count=5000')
    t.equal(selfLink(body).searchParams.get('_count'), '1000')
  })

  t.test('strict handling names every parameter it refuses', async (t) => {
    const { status, body } = await searchBundle(hub, 'Patient?colour=blue&family=detail&shoe-size=9', strict)
    t.equal(status, 400)
    t.same(body.issue.map((i: any) => i.expression).sort(), [['colour'], ['shoe-size']])
  })

  t.test('_id:not and _id:missing (Resource-id is a token)', async (t) => {
    t.same(await matchIds(hub, 'Patient?family=detail&_id:not=sd-p1'), ['sd-p2'])
    t.same(await matchIds(hub, 'Patient?family=detail&_id:missing=true'), [])
    t.same((await matchIds(hub, 'Patient?family=detail&_id:missing=false')).sort(), ['sd-p1', 'sd-p2'])
    t.equal((await searchBundle(hub, 'Patient?_id:exact=sd-p1')).status, 400, 'a modifier tokens do not take')
  })

  t.test('_lastUpdated=<instant to the ms> is that millisecond, not the next', async (t) => {
    const db = new pg.Client({ connectionString: hub.server.db.url })
    await db.connect()
    t.teardown(() => db.end())
    await db.query(`UPDATE resource SET last_updated = '2026-03-04T05:06:07.646Z' WHERE resource_type = 'Patient' AND id = 'sd-p1';
      UPDATE resource SET last_updated = '2026-03-04T05:06:07.647Z' WHERE resource_type = 'Patient' AND id = 'sd-p2'`)
    t.same(await matchIds(hub, 'Patient?_lastUpdated=2026-03-04T05:06:07.646Z'), ['sd-p1'])
    t.same(await matchIds(hub, 'Patient?_lastUpdated=2026-03-04T05:06:07.647Z'), ['sd-p2'])
    t.same((await matchIds(hub, 'Patient?_lastUpdated=2026-03-04T05:06:07Z')).sort(), ['sd-p1', 'sd-p2'], 'the second holds both')
    t.same(await matchIds(hub, 'Patient?_lastUpdated=gt2026-03-04T05:06:07.646Z'), ['sd-p2'])
    t.same(await matchIds(hub, 'Patient?_lastUpdated=le2026-03-04T05:06:07.646Z'), ['sd-p1'])
    t.same(await matchIds(hub, 'Patient?_lastUpdated=sa2026-03-04T05:06:07.646Z'), ['sd-p2'])
  })

  t.test('quantity n||unit matches the coded unit or the stated one; system|code only the coded one', async (t) => {
    t.same(await matchIds(hub, 'Observation?value-quantity=72||beats/min'), ['sd-pulse'], 'the human unit')
    t.same(await matchIds(hub, 'Observation?value-quantity=72||/min'), ['sd-pulse'], 'the UCUM code')
    t.same(await matchIds(hub, `Observation?value-quantity=72|${UCUM}|beats/min`), [], 'the human unit is not a UCUM code')
    t.same(await matchIds(hub, `Observation?value-quantity=72|${UCUM}|/min`), ['sd-pulse'])
    t.same(await matchIds(hub, 'Encounter?length=3||days'), ['sd-enc'])
    t.same((await matchIds(hub, 'Observation?value-quantity=72&_sort=_id')), ['sd-pulse', 'sd-weight'], 'each once without a unit')
  })

  t.test('_elements keeps mandatory elements and leaves included resources whole', async (t) => {
    const { body } = await searchBundle(hub, 'Observation?_id=sd-pulse&_elements=subject&_include=Observation:subject')
    const [match] = entriesOf(body, 'match')
    t.same(Object.keys(match.resource).sort(), ['code', 'id', 'meta', 'resourceType', 'status', 'subject'], 'status and code (1..1) kept')
    t.notOk('valueQuantity' in match.resource)
    t.ok(match.resource.meta.tag.some((tag: any) => tag.code === 'SUBSETTED'))
    const [included] = entriesOf(body, 'include')
    t.same(included.resource.name, [{ family: 'Detail' }], 'the included Patient is whole')
  })

  t.test('the CapabilityStatement: system-level parameters and _include wildcards', async (t) => {
    const cs = (await (await hub.fetch('metadata')).json()) as any
    const system = cs.rest[0].searchParam.map((p: any) => p.name)
    for (const name of ['_id', '_lastUpdated', '_tag', '_profile', '_security', '_type']) t.ok(system.includes(name), name)
    const observation = cs.rest[0].resource.find((r: any) => r.type === 'Observation')
    t.ok(observation.searchInclude.includes('*') && observation.searchInclude.includes('Observation:*'))
    t.ok(observation.searchRevInclude.includes('*'))
  })
})
