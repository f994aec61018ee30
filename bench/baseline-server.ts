// The baseline CaseHub is measured against: bare Fastify + pg running the same SQL per request
// as CaseHub (statements built as in src/store/pg-resource-store.ts, with the same prepared
// statement names, including the search index rows), the same pool size, and no FHIR logic: no
// validation, no content negotiation, no Prefer handling, no FHIRPath. It parses the JSON body
// and stamps id/meta, as any server must. The search index rows it writes are computed once per
// resource type from the first body of that type and reused, so the database does the same
// work as for CaseHub while the baseline skips evaluating search parameters.
//
// Started by run.ts (node --import tsx bench/baseline-server.ts) with BENCH_DATABASE_URL and
// BENCH_POOL_SIZE; reports its port over the IPC channel.
import Fastify, { type FastifyReply } from 'fastify'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { initSearchParameters } from '../src/fhir/search/parameters.js'
import { extractIndex } from '../src/fhir/search/extract.js'
import { initValidation } from '../src/fhir/validation/index.js'
import { insertVersionSql, insertVersionsSql, replaceVersionSql } from '../src/store/write-sql.js'
import type { SearchIndexRows } from '../src/store/types.js'
import { serveChild } from './child.js'

// Only to compute the index rows once per type (the search parameter registry needs the types).
initValidation()
initSearchParameters()

// --- SQL: reads as src/store/pg-resource-store.ts writes them; writes from src/store/write-sql.ts ---
const BODY = `content::text`
const CURRENT_COLUMNS = `resource_type, id, version_id::text AS version_id, last_updated, deleted,
  CASE WHEN deleted THEN 'DELETE' ELSE 'PUT' END AS method, ${BODY} AS json`
const READ_CURRENT = `SELECT ${CURRENT_COLUMNS} FROM resource WHERE resource_type = $1 AND id = $2`
const READ_FOR_UPDATE = `SELECT ${CURRENT_COLUMNS} FROM resource WHERE resource_type = $1 AND id = $2 FOR UPDATE`
// Index rows per resource type, computed from the first body seen (see the header comment).
const indexByType = new Map<string, SearchIndexRows>()
function indexRows(resource: Json): SearchIndexRows {
  let rows = indexByType.get(resource.resourceType)
  if (!rows) {
    rows = extractIndex(resource as never, 'http://127.0.0.1/fhir')
    indexByType.set(resource.resourceType, rows)
  }
  return rows
}

type Json = Record<string, any>
type Db = pg.Pool | pg.PoolClient

const FHIR_JSON = 'application/fhir+json; charset=utf-8'
const pool = new pg.Pool({ connectionString: process.env.BENCH_DATABASE_URL, max: Number(process.env.BENCH_POOL_SIZE ?? 10) })
pool.on('error', () => undefined)

const app = Fastify({ logger: false })
app.removeAllContentTypeParsers()
app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
  try {
    done(null, JSON.parse(body as string))
  } catch (err) {
    ;(err as Error & { statusCode?: number }).statusCode = 400
    done(err as Error, undefined)
  }
})

function stamp(resource: Json, id: string, versionId: number, lastUpdated: string) {
  const { id: _ignored, meta, ...rest } = resource
  return { ...rest, id, meta: { ...(meta ?? {}), versionId: String(versionId), lastUpdated } }
}

async function insert(db: Db, type: string, id: string, lastUpdated: string, json: string, resource: Json) {
  const { text, indexValues } = insertVersionSql(indexRows(resource))
  const r = await db.query({ name: 'insert-resource', text, values: [type, id, 1, lastUpdated, json, 'POST', ...indexValues] })
  if (r.rows[0].n !== 1) throw Object.assign(new Error(`${type}/${id} already exists`), { statusCode: 409 })
}

function send(reply: FastifyReply, status: number, base: string, type: string, id: string, versionId: string, lastUpdated: string, body: string, location: boolean) {
  reply.code(status).header('ETag', `W/"${versionId}"`).header('Last-Modified', new Date(lastUpdated).toUTCString())
  if (location) reply.header('Location', `${base}/${type}/${id}/_history/${versionId}`)
  return reply.type(FHIR_JSON).send(body)
}

const baseOf = (req: { protocol: string; host: string }) => `${req.protocol}://${req.host}/fhir`

// create
app.post<{ Params: { type: string }; Body: Json }>('/fhir/:type', async (req, reply) => {
  const { type } = req.params
  const id = randomUUID()
  const lastUpdated = new Date().toISOString()
  const json = JSON.stringify(stamp(req.body, id, 1, lastUpdated))
  await insert(pool, type, id, lastUpdated, json, req.body)
  return send(reply, 201, baseOf(req), type, id, '1', lastUpdated, json, true)
})

// read
app.get<{ Params: { type: string; id: string } }>('/fhir/:type/:id', async (req, reply) => {
  const { type, id } = req.params
  const { rows } = await pool.query({ name: 'read-current', text: READ_CURRENT, values: [type, id] })
  if (!rows.length || rows[0].deleted) return reply.code(404).send()
  const row = rows[0]
  return send(reply, 200, baseOf(req), type, id, row.version_id, (row.last_updated as Date).toISOString(), row.json, false)
})

async function inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    const result = await fn(client)
    await client.query('COMMIT')
    return result
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  } finally {
    client.release()
  }
}

// update (existing resources only; the benchmark never updates-as-creates)
app.put<{ Params: { type: string; id: string }; Body: Json }>('/fhir/:type/:id', async (req, reply) => {
  const { type, id } = req.params
  const written = await inTransaction(async (client) => {
    const { rows } = await client.query({ name: 'read-current-for-update', text: READ_FOR_UPDATE, values: [type, id] })
    if (!rows.length) return undefined
    const versionId = Number(rows[0].version_id) + 1
    const lastUpdated = new Date().toISOString()
    const json = JSON.stringify(stamp(req.body, id, versionId, lastUpdated))
    const { text, indexValues } = replaceVersionSql(indexRows(req.body))
    await client.query({
      name: 'replace-resource',
      text,
      values: [type, id, versionId, lastUpdated, false, json, 'PUT', ...indexValues],
    })
    return { versionId: String(versionId), lastUpdated, json }
  })
  if (!written) return reply.code(404).send()
  return send(reply, 200, baseOf(req), type, id, written.versionId, written.lastUpdated, written.json, true)
})

/** Points `reference` values that name a fullUrl in the Bundle at the ids assigned. */
function rewrite(value: unknown, fullUrls: Map<string, string>) {
  if (Array.isArray(value)) for (const v of value) rewrite(v, fullUrls)
  else if (value && typeof value === 'object') {
    const o = value as Json
    for (const k in o) {
      if (k === 'reference' && typeof o[k] === 'string') o[k] = fullUrls.get(o[k]) ?? o[k]
      else if (typeof o[k] === 'object') rewrite(o[k], fullUrls)
    }
  }
}

// transaction of creates: BEGIN / one insert of all entries / COMMIT (as CaseHub batches them)
const transaction = async (req: { body: unknown; protocol: string; host: string }, reply: FastifyReply) => {
  const bundle = req.body as Json
  const base = baseOf(req)
  const entries = (bundle.entry ?? []) as Json[]
  const fullUrls = new Map<string, string>()
  const planned = entries.map((e) => {
    const type = e.resource.resourceType as string
    const id = randomUUID()
    if (e.fullUrl) fullUrls.set(e.fullUrl, `${type}/${id}`)
    return { type, id, resource: e.resource as Json }
  })
  for (const p of planned) rewrite(p.resource, fullUrls)
  const parts = await inTransaction(async (client) => {
    const versions = planned.map((p) => {
      const lastUpdated = new Date().toISOString()
      return { ...p, lastUpdated, json: JSON.stringify(stamp(p.resource, p.id, 1, lastUpdated)), index: indexRows(p.resource) }
    })
    const { text, values } = insertVersionsSql(versions)
    const written = await client.query({
      text,
      values: [versions.map((v) => v.type), versions.map((v) => v.id), versions.map(() => 1), versions.map((v) => v.lastUpdated), versions.map((v) => v.json), versions.map(() => 'POST'), ...values],
    })
    if (written.rowCount !== versions.length) throw Object.assign(new Error('an id already exists'), { statusCode: 409 })
    return versions.map((v) => {
      const response = { status: '201 Created', location: `${base}/${v.type}/${v.id}/_history/1`, etag: 'W/"1"', lastModified: v.lastUpdated }
      return `{"resource":${v.json},"response":${JSON.stringify(response)}}`
    })
  })
  return reply
    .code(200)
    .type(FHIR_JSON)
    .send(`{"resourceType":"Bundle","type":"transaction-response","entry":[${parts.join(',')}]}`)
}
app.post('/fhir', transaction)
app.post('/fhir/', transaction)

await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
serveChild(typeof address === 'object' && address ? address.port : 0, async () => {
  await app.close()
  await pool.end()
})
