// A transaction's next-version writes are held back and sent together (store/write-behind.ts):
// what they store must be exactly what one-by-one writes store (current row, history, every
// search index row); a query in between sees the writes before it; the same resource written
// twice keeps both versions; a rollback keeps none; and a batch costs one statement.
import t from 'tap'
import pg from 'pg'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Resource } from '@medplum/fhirtypes'
import { PgResourceStore } from '../../src/store/pg-resource-store.js'
import { systemContext } from '../../src/store/context.js'
import type { NewVersion } from '../../src/store/types.js'
import { extractIndex } from '../../src/fhir/search/extract.js'
import { initSearchParameters } from '../../src/fhir/search/parameters.js'
import { createTestDatabase } from '../helpers/test-server.js'

const SYNTHEA = fileURLToPath(new URL('../../../shared/data/synthea/', import.meta.url))
const TABLES = ['search_string', 'search_token', 'search_date', 'search_number', 'search_quantity', 'search_reference', 'search_uri']
const BASE = 'http://localhost/fhir'

initSearchParameters()

function version(resource: Resource, id: string, versionId: number, method: NewVersion['method'] = 'PUT'): NewVersion {
  const lastUpdated = '2026-12-02T10:00:00.000Z'
  const body = { ...resource, id, meta: { ...resource.meta, versionId: String(versionId), lastUpdated } } as Resource
  return { resourceType: resource.resourceType, id, versionId, lastUpdated, method, json: JSON.stringify(body), index: extractIndex(body, BASE) }
}

/** A pool whose connections count the statements sent through them. */
function countingPool(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  const sent: string[] = []
  const wrapped = new WeakSet<pg.PoolClient>()
  const connect = pool.connect.bind(pool) as (...a: unknown[]) => Promise<pg.PoolClient>
  // pool.query connects with a callback: left as it is; transactions connect without one
  ;(pool as { connect: unknown }).connect = async (...args: unknown[]) => {
    if (args.length) return connect(...args)
    const client = await connect()
    if (wrapped.has(client)) return client
    wrapped.add(client)
    const query = client.query.bind(client) as (...a: unknown[]) => unknown
    ;(client as { query: unknown }).query = (...args: unknown[]) => {
      const a = args[0] as string | { text: string }
      sent.push(typeof a === 'string' ? a : a.text)
      return query(...args)
    }
    return client
  }
  return { pool, sent }
}

t.test('held-back writes store what single writes store, in one statement', async (t) => {
  const { pool, sent } = countingPool(await createTestDatabase(t))
  t.teardown(() => pool.end())
  const store = new PgResourceStore(pool, systemContext('test'))
  const file = readdirSync(SYNTHEA).find((f) => f.endsWith('.json'))!
  // resources of many types, references made local so both copies index the same targets
  const resources = (JSON.parse(readFileSync(`${SYNTHEA}/${file}`, 'utf8').replace(/"urn:uuid:[^"]+"/g, '"Patient/someone"')).entry as { resource: Resource }[])
    .map((e) => e.resource)
    .slice(0, 40)
  // version 1 of each, indexed under a name that is replaced by version 2
  const first = (r: Resource, id: string) => version({ ...r, meta: { ...r.meta, tag: [{ system: 'urn:test', code: 'v1' }] } } as Resource, id, 1, 'POST')
  await store.insertMany(resources.flatMap((r, i) => [first(r, `single-${i}`), first(r, `batch-${i}`)]))

  const welsh = async () => (await pool.query(`SELECT count(*)::int AS n FROM search_token WHERE param = '_tag' AND code = 'v1'`)).rows[0].n
  t.equal(await welsh(), resources.length * 2, 'version 1 is indexed by its tag')
  for (const [i, r] of resources.entries()) await store.transaction((tx) => tx.replace(version(r, `single-${i}`, 2)))
  sent.length = 0
  await store.transaction(async (tx) => {
    for (const [i, r] of resources.entries()) await tx.replace(version(r, `batch-${i}`, 2))
  })
  t.same(sent.map((s) => s.trim().split(/\s+/)[0]), ['BEGIN', 'WITH', 'COMMIT'], `${resources.length} writes went in one statement`)

  const q = async (sql: string, values: unknown[] = []) => (await pool.query(sql, values)).rows
  for (const table of TABLES) {
    const rows = async (prefix: string) =>
      (await q(`SELECT * FROM ${table} WHERE id LIKE $1`, [`${prefix}-%`]))
        .map(({ id, resource_type, ...rest }) => JSON.stringify({ type: resource_type, n: id.split('-')[1], ...rest }))
        .sort()
    const single = await rows('single')
    t.ok(single.length > 0 || table === 'search_number' || table === 'search_uri', `${table} has rows`)
    t.same(await rows('batch'), single, `${table}: the same rows`)
  }
  t.equal(await welsh(), 0, "version 1's index rows are gone")
  const history = await q(`SELECT id, version_id, method FROM resource_history WHERE id LIKE 'batch-%' ORDER BY id, version_id`)
  t.equal(history.length, resources.length * 2, 'a history row per version')
  t.ok(history.filter((h) => h.version_id === '2').every((h) => h.method === 'PUT'), 'version 2 written by PUT')
  const current = await q(`SELECT id, version_id::int AS v, content::jsonb - 'id' AS c FROM resource WHERE id LIKE 'single-%' OR id LIKE 'batch-%'`)
  t.ok(current.every((c) => c.v === 2), 'every current row is version 2')
  const byN = new Map<string, string[]>()
  for (const c of current) byN.set(c.id.split('-')[1], [...(byN.get(c.id.split('-')[1]) ?? []), JSON.stringify(c.c)])
  t.ok([...byN.values()].every((pair) => pair.length === 2 && pair[0] === pair[1]), 'the same bodies')
})

t.test('a query after held-back writes sees them; one resource written twice keeps both versions', async (t) => {
  const pool = new pg.Pool({ connectionString: await createTestDatabase(t), max: 4 })
  t.teardown(() => pool.end())
  const store = new PgResourceStore(pool, systemContext('test'))
  const patient = (family: string): Resource => ({ resourceType: 'Patient', name: [{ family }] })
  await store.insertMany([version(patient('Ames'), 'a', 1, 'POST'), version(patient('Bell'), 'b', 1, 'POST')])

  await store.transaction(async (tx) => {
    await tx.replace(version(patient('Avery'), 'a', 2))
    t.match(JSON.parse((await tx.read('Patient', 'a'))!.json!), { name: [{ family: 'Avery' }] }, 'a read in the transaction sees the write')
    await tx.replace(version(patient('Avila'), 'a', 3))
    await tx.replace(version(patient('Baker'), 'b', 2))
    await tx.replace(version(patient('Banks'), 'b', 3))
    await tx.replace({ ...version(patient('x'), 'a', 4, 'DELETE'), json: null, index: undefined })
  })
  const rows = (await pool.query(`SELECT id, version_id::int AS v, method FROM resource_history WHERE resource_type = 'Patient' ORDER BY id, version_id`)).rows
  t.same(rows.map((r) => `${r.id}${r.v}${r.method}`), ['a1POST', 'a2PUT', 'a3PUT', 'a4DELETE', 'b1POST', 'b2PUT', 'b3PUT'], 'every version kept, in order')
  t.match(await store.read('Patient', 'a'), { deleted: true, versionId: '4' }, 'the delete is the current version')
  t.match(JSON.parse((await store.read('Patient', 'b'))!.json!), { name: [{ family: 'Banks' }] })
  const names = (await pool.query(`SELECT id, value FROM search_string WHERE resource_type = 'Patient' AND param = 'family' ORDER BY id`)).rows
  t.same(names, [{ id: 'b', value: 'banks' }], 'only the current versions are indexed; a deleted one not at all')
})

t.test('held-back writes of a transaction that rolls back are never sent', async (t) => {
  const pool = new pg.Pool({ connectionString: await createTestDatabase(t), max: 4 })
  t.teardown(() => pool.end())
  const store = new PgResourceStore(pool, systemContext('test'))
  await store.insert(version({ resourceType: 'Patient', name: [{ family: 'Ames' }] }, 'a', 1, 'POST'))
  await t.rejects(
    store.transaction(async (tx) => {
      await tx.replace(version({ resourceType: 'Patient', name: [{ family: 'Avery' }] }, 'a', 2))
      throw new Error('the caller gives up')
    }),
    /gives up/,
  )
  t.match(await store.read('Patient', 'a'), { versionId: '1' })
  const history = (await pool.query(`SELECT count(*)::int AS n FROM resource_history WHERE resource_type = 'Patient'`)).rows[0].n
  t.equal(history, 1)
})
