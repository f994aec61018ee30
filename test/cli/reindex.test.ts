// `casehub reindex [--type T]`: recomputes the search index of stored resources, so a search
// parameter added after the data was written finds it (search.html#custom).
import t from 'tap'
import pg from 'pg'
import { runCasehub } from '../helpers/cli.js'
import { createTestDatabase, installedKeys } from '../helpers/test-server.js'


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
