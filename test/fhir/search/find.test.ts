// The server's own searches (fhir/search/find.ts) return every match, not the first page: case
// work that looks for "the open Tasks of this referral" or "the newest PlanDefinition with this
// url" must not miss the ones after the hundredth.
import t from 'tap'
import { startTestServer } from '../../helpers/test-server.js'
import { putAll } from './helpers.js'
import { findResources } from '../../../src/fhir/search/find.js'
import { systemContext } from '../../../src/store/context.js'

const MANY = 257

t.test('findResources reads every page, in search order, and stops at a limit', async (t) => {
  const hub = await startTestServer(t)
  const ids = Array.from({ length: MANY }, (_v, i) => `find-${String(i).padStart(3, '0')}`)
  await putAll(hub, [
    ...ids.map((id) => ({ resourceType: 'Basic' as const, id, code: { coding: [{ system: 'urn:test', code: 'many' }] } })),
    { resourceType: 'Basic' as const, id: 'find-other', code: { coding: [{ system: 'urn:test', code: 'other' }] } },
  ])
  const store = hub.server.db.store(systemContext('find-test'))

  const all = await findResources(store, 'Basic', { code: 'urn:test|many', _sort: '_id' })
  t.equal(all.length, MANY, 'every match, beyond the default page of 100')
  t.same(all.map((r) => r.id), ids, 'in the search order, each once')

  const smallPages = await findResources(store, 'Basic', { code: 'urn:test|many', _sort: '-_id' }, { count: 7 })
  t.same(smallPages.map((r) => r.id), [...ids].reverse(), 'pages of 7 give the same matches, descending')

  const first = await findResources(store, 'Basic', { code: 'urn:test|many', _sort: '_id' }, { limit: 3 })
  t.same(first.map((r) => r.id), ids.slice(0, 3), 'limit: the first matches only')

  t.same(await findResources(store, 'Basic', { code: 'urn:test|none' }), [], 'no match: an empty list')
})

t.test('findResources pages along an index sort key, resources without the value last', async (t) => {
  const hub = await startTestServer(t)
  const dated = Array.from({ length: 9 }, (_v, i) => ({ resourceType: 'Basic' as const, id: `fd-${i}`, code: { text: 'dated' }, created: `2020-01-0${i + 1}` }))
  const undated = Array.from({ length: 4 }, (_v, i) => ({ resourceType: 'Basic' as const, id: `fu-${i}`, code: { text: 'dated' } }))
  await putAll(hub, [...undated, ...dated])
  const store = hub.server.db.store(systemContext('find-test'))
  const all = await findResources(store, 'Basic', { 'code:text': 'dated', _sort: '-created' }, { count: 3 })
  t.same(all.map((r) => r.id), [...dated.map((r) => r.id).reverse(), 'fu-0', 'fu-1', 'fu-2', 'fu-3'], 'newest first, then the undated, each once')
  const byCount = await findResources(store, 'Basic', { 'code:text': 'dated', _count: '5' })
  t.equal(byCount.length, 13, 'a _count in the parameters is the page size, and every page is read')
})

t.test('PlanDefinition/$apply by url uses the newest version even among more than a page of versions', async (t) => {
  const hub = await startTestServer(t)
  const url = 'https://casehub.example/PlanDefinition/many-versions'
  // versions 1 … 120, their ids in version order: the newest is not on a first page of 100
  const plans = Array.from({ length: 120 }, (_v, i) => ({
    resourceType: 'PlanDefinition' as const,
    id: `pv-${String(i + 1).padStart(3, '0')}`,
    url,
    version: String(i + 1),
    status: 'active' as const,
    title: `version ${i + 1}`,
    action: [{ title: `step of version ${i + 1}` }],
  }))
  await putAll(hub, [...plans, { resourceType: 'Patient', id: 'pv-patient' }])
  const res = await hub.fetch(`PlanDefinition/$apply?url=${encodeURIComponent(url)}&subject=Patient/pv-patient`)
  const body = await res.json()
  t.equal(res.status, 200, JSON.stringify(body).slice(0, 300))
  t.match(JSON.stringify(body), /version 120/, 'the plan made from version 120')
  t.notMatch(JSON.stringify(body), /version 100\b/, 'not from the newest of the first hundred')
})
