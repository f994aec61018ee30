// Repeated searches are answered from a cache only while the database has not changed
// (fhir/search/result-cache.ts): never a stale answer, whoever wrote — this server, another
// connection (as another server or worker would), a transaction that was open when the search
// ran — and searches that take new SearchParameters into account at once.
import t from 'tap'
import pg from 'pg'
import { startTestServer, type TestServer } from '../../helpers/test-server.js'
import { matchIds, putAll } from './helpers.js'
import { SearchResultCache } from '../../../src/fhir/search/result-cache.js'
import { systemContext } from '../../../src/store/context.js'
import type { FhirResponse } from '../../../src/fhir/types.js'

const patient = (id: string, family: string) => ({ resourceType: 'Patient' as const, id, name: [{ family }] })
const stats = (hub: TestServer) => ({ ...hub.server.app.searchCache.stats })
const put = (hub: TestServer, r: { resourceType: string; id: string; [k: string]: unknown }) =>
  hub.fetch(`${r.resourceType}/${r.id}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(r) })

t.test('a repeated search is served from the cache until anything commits', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, [patient('c1', 'Cachet'), patient('c2', 'Cachet'), patient('c3', 'Other')])
  const search = 'Patient?family=cachet&_sort=_id'

  t.same(await matchIds(hub, search), ['c1', 'c2'], 'first search')
  t.same(await matchIds(hub, search), ['c1', 'c2'], 'second search: kept')
  const before = stats(hub)
  t.same(await matchIds(hub, search), ['c1', 'c2'], 'third search')
  t.equal(stats(hub).hits, before.hits + 1, 'answered from the cache')

  t.equal((await put(hub, patient('c3', 'Cachet'))).status, 200)
  t.same(await matchIds(hub, search), ['c1', 'c2', 'c3'], 'a write through this server is seen at once')

  // another connection's write, as another CaseHub process or a worker would make it
  const other = new pg.Client({ connectionString: hub.server.db.url })
  await other.connect()
  t.teardown(() => other.end())
  // a delete as CaseHub writes it: the resource marked deleted, its index rows gone
  const remove = (id: string) =>
    other.query(`UPDATE resource SET deleted = true WHERE resource_type = 'Patient' AND id = '${id}';
      DELETE FROM search_string WHERE resource_type = 'Patient' AND id = '${id}'`)
  await matchIds(hub, search) // cached again
  await remove('c1')
  t.same(await matchIds(hub, search), ['c2', 'c3'], "another connection's commit is seen at once")

  // a transaction open while the search is kept, committed afterwards
  await matchIds(hub, search)
  await other.query('BEGIN')
  await remove('c2')
  t.same(await matchIds(hub, search), ['c2', 'c3'], 'an uncommitted change is not seen')
  t.same(await matchIds(hub, search), ['c2', 'c3'], 'and the answer may be kept meanwhile')
  await other.query('COMMIT')
  t.same(await matchIds(hub, search), ['c3'], 'its commit is seen at once')
})

t.test('concurrent requests for a search at one snapshot share one run', async (t) => {
  const hub = await startTestServer(t)
  const cache = new SearchResultCache(1 << 20)
  const store = hub.server.db.store(systemContext('cache-test'))
  let runs = 0
  const waiting: (() => void)[] = []
  const run = async (): Promise<FhirResponse> => {
    runs++
    await new Promise<void>((resolve) => waiting.push(resolve))
    return { status: 200, body: { resourceType: 'Bundle', type: 'searchset', entry: [] } }
  }
  const releaseAll = () => waiting.splice(0).forEach((resolve) => resolve())
  const first = cache.answer('Patient?family=x', store, run) // first request: not kept, runs alone
  await until(() => runs === 1)
  releaseAll()
  await first
  const answers = Array.from({ length: 8 }, () => cache.answer('Patient?family=x', store, run))
  await until(() => runs >= 2)
  await new Promise((resolve) => setTimeout(resolve, 200)) // the others have taken their snapshots
  // a commit by the server's own background work meanwhile would start another run: let all finish
  const releaser = setInterval(releaseAll, 10)
  const responses = await Promise.all(answers).finally(() => clearInterval(releaser))
  t.equal(responses.length, 8)
  t.ok(runs - 1 < 8, `${runs - 1} run(s) for eight requests (one unless something committed meanwhile)`)
  t.ok(cache.stats.joined >= 1, `${cache.stats.joined} request(s) waited for a running search`)
  t.equal(runs - 1 + cache.stats.joined + cache.stats.hits, 8, 'each request ran, waited or was answered from the cache')
})

async function until(done: () => boolean) {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  if (!done()) throw new Error('timed out')
}

t.test('views of a kept answer (_elements, _summary=count) leave it whole', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, [{ ...patient('e1', 'Elements'), birthDate: '1950-01-01' } as never])
  for (let i = 0; i < 2; i++) await matchIds(hub, 'Patient?family=elements')
  const trimmed: any = await (await hub.fetch('Patient?family=elements&_elements=name')).json()
  t.notOk(trimmed.entry[0].resource.birthDate, '_elements trims its own answer')
  const whole: any = await (await hub.fetch('Patient?family=elements')).json()
  t.equal(whole.entry[0].resource.birthDate, '1950-01-01', 'the kept answer is whole')
  t.ok(stats(hub).hits >= 1)
})

t.test('a SearchParameter added is used at once by a search that was kept', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, [{ ...patient('s1', 'Param'), birthDate: '1960-05-05' } as never, { ...patient('s2', 'Param') } as never])
  const search = 'Patient?family=param&born-sixties=1960-05-05'
  for (let i = 0; i < 2; i++) t.same((await matchIds(hub, search)).sort(), ['s1', 's2'], 'an unknown parameter is ignored')
  const res = await put(hub, {
    resourceType: 'SearchParameter', id: 'born-sixties', url: 'https://example.org/SearchParameter/born-sixties', name: 'born-sixties',
    status: 'active', description: 'birth date', code: 'born-sixties', base: ['Patient'], type: 'date', expression: 'Patient.birthDate',
  })
  t.ok(res.status < 300, `SearchParameter written (${res.status})`)
  await hub.fetch('Patient/s1', { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ ...patient('s1', 'Param'), birthDate: '1960-05-05' }) })
  t.same(await matchIds(hub, search), ['s1'], 'the new parameter applies')
})

t.test('a search with the ap prefix, whose answer moves with the clock, is never kept (search.html#prefix)', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, [{ ...patient('a1', 'Approx'), birthDate: '1950-06-01' } as never])
  const searches = ['Patient?family=approx&birthdate=ap1950-06-01', `Patient?family=approx&_filter=${encodeURIComponent('birthdate ap 1950-06-01')}`]
  for (const search of searches) for (let i = 0; i < 3; i++) t.same(await matchIds(hub, search), ['a1'], search)
  t.same(stats(hub), { hits: 0, misses: 0, stored: 0, joined: 0 })
})

t.test('CASEHUB_SEARCH_CACHE_MB=0 turns it off', async (t) => {
  const hub = await startTestServer(t, { CASEHUB_SEARCH_CACHE_MB: '0' })
  await putAll(hub, [patient('o1', 'Off')])
  for (let i = 0; i < 3; i++) t.same(await matchIds(hub, 'Patient?family=off'), ['o1'])
  t.same(stats(hub), { hits: 0, misses: 0, stored: 0, joined: 0 })
})
