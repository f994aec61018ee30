// `casehub reindex [--type T]`: recomputes the search index of stored resources, so a search
// parameter added after the data was written finds it (search.html#custom).
import t from 'tap'
import pg from 'pg'
import { runCasehub } from '../helpers/cli.js'
import { createTestDatabase, installedKeys, startTestServer } from '../helpers/test-server.js'
import { systemContext } from '../../src/store/context.js'
import { extractIndex } from '../../src/fhir/search/extract.js'


const run = runCasehub

t.test('reindex rebuilds index rows for every stored resource, or one type', async (t) => {
  const url = await createTestDatabase(t)
  const db = new pg.Client({ connectionString: url })
  await db.connect()
  t.teardown(() => db.end())
  // Resources written straight into the tables, as data from before the index existed.
  for (let i = 0; i < 3; i++) {
    const body = { resourceType: 'Patient', id: `p${i}`, name: [{ family: `Müller-${i}` }], meta: { versionId: '1', lastUpdated: '2026-01-01T00:00:00Z' } }
    await db.query(
      `INSERT INTO resource (resource_type, id, version_id, last_updated, content) VALUES ('Patient', $1, 1, now(), $2)`,
      [body.id, body],
    )
  }
  await db.query(
    `INSERT INTO resource (resource_type, id, version_id, last_updated, content) VALUES ('Organization', 'o1', 1, now(), $1)`,
    [{ resourceType: 'Organization', id: 'o1', name: 'Trafford Case Management' }],
  )
  const count = async (type: string) =>
    (await db.query('SELECT count(*)::int AS n FROM search_string WHERE resource_type = $1', [type])).rows[0].n as number
  t.equal(await count('Patient'), 0)

  const typed = await run(['reindex', '--type', 'Patient'], { DATABASE_URL: url, LOG_LEVEL: 'silent' })
  t.equal(typed.code, 0, typed.stderr)
  t.match(typed.stdout, /reindexed 3 resources/)
  t.match(typed.stderr, /3 resources reindexed · [\d,]+\/s · 100%/, 'progress line')
  const family = await db.query("SELECT value, exact FROM search_string WHERE id = 'p1' AND param = 'family'")
  t.same(family.rows, [{ value: 'muller-1', exact: 'Müller-1' }], 'string values are folded for search and kept as written')
  t.equal(await count('Organization'), 0, '--type limits the work')

  const all = await run(['reindex'], { DATABASE_URL: url, LOG_LEVEL: 'silent' })
  t.equal(all.code, 0, all.stderr)
  t.match(all.stdout, new RegExp(`reindexed ${4 + installedKeys().length} resources`), 'these four and the conformance resources the database starts with')
  t.ok((await count('Organization')) > 0)
  t.equal(await count('Patient'), 3 * (await db.query("SELECT count(*)::int AS n FROM search_string WHERE id = 'p0'")).rows[0].n, 'running again replaces rows, it does not add duplicates')

  // Written before values too long for an index entry were refused (a repetitive one fitted)
  await db.query(
    `INSERT INTO resource (resource_type, id, version_id, last_updated, content) VALUES ('Patient', 'p-long', 1, now(), $1)`,
    [{ resourceType: 'Patient', id: 'p-long', identifier: [{ system: 'urn:test', value: 'x'.repeat(3000) }], name: [{ family: 'Long' }] }],
  )
  await db.query("DELETE FROM search_string WHERE id = 'p1'")
  const withLong = await run(['reindex', '--type', 'Patient'], { DATABASE_URL: url, LOG_LEVEL: 'silent' })
  t.equal(withLong.code, 0, withLong.stderr)
  t.match(withLong.stderr, /1 resource\(s\) kept their old index rows, having a value too long to index: Patient\/p-long/)
  t.ok((await db.query("SELECT count(*)::int AS n FROM search_string WHERE id = 'p1'")).rows[0].n > 0, 'the others were reindexed')

  const bad = await run(['reindex', '--type', 'Nonsense'], { DATABASE_URL: url, LOG_LEVEL: 'silent' })
  t.equal(bad.code, 2)
  t.match(bad.stderr, /unknown resource type Nonsense/)
})

t.test('reindex does not index a version that was updated or deleted after its batch was read', async (t) => {
  const hub = await startTestServer(t)
  const put = (body: object) =>
    hub.fetch('Patient/r1', { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) })
  t.equal((await put({ resourceType: 'Patient', id: 'r1', name: [{ family: 'Before' }] })).status, 201)
  const store = hub.server.db.store(systemContext('reindex-test'))
  const [read] = await store.scan({ type: 'Patient', limit: 10 })
  const staleIndex = extractIndex(JSON.parse(read.json!), hub.url)
  const families = async () =>
    (await hub.server.db.pool.query("SELECT value FROM search_string WHERE id = 'r1' AND param = 'family'")).rows.map((r) => r.value)

  t.equal((await put({ resourceType: 'Patient', id: 'r1', name: [{ family: 'After' }] })).status, 200)
  t.equal(await store.writeIndex('Patient', 'r1', read.versionId, staleIndex), false, 'updated meanwhile: not written')
  t.same(await families(), ['after'], 'the index of the current version stays')

  t.equal((await hub.fetch('Patient/r1', { method: 'DELETE' })).status, 200)
  t.equal(await store.writeIndex('Patient', 'r1', String(Number(read.versionId) + 1), staleIndex), false, 'deleted meanwhile: not written')
  t.same(await families(), [], 'a deleted resource keeps no index rows')
  t.same(await matchIdsOf(hub, 'Patient?family=before'), [], 'and no search finds it')
})

async function matchIdsOf(hub: { fetch(path: string): Promise<Response> }, path: string): Promise<string[]> {
  const body: any = await (await hub.fetch(path)).json()
  return (body.entry ?? []).filter((e: any) => e.search?.mode === 'match').map((e: any) => e.resource.id)
}
