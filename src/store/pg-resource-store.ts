// ResourceStore over PostgreSQL. Parameterised SQL only; statements are small and named by job.
import type pg from 'pg'
import type { RequestContext } from './context.js'
import type { Filter, HistoryQuery, NewVersion, ResourceStore, StoredVersion } from './types.js'

type Db = pg.Pool | pg.PoolClient

// Body text with resourceType first (jsonb keeps keys in its own order), without re-parsing.
const BODY = `CASE WHEN content IS NULL THEN NULL
  ELSE '{"resourceType":' || to_json(resource_type)::text || ',' || substr((content - 'resourceType')::text, 2) END`

const CURRENT_COLUMNS = `resource_type, id, version_id::text AS version_id, last_updated, deleted,
  CASE WHEN deleted THEN 'DELETE' ELSE 'PUT' END AS method, ${BODY} AS json`
const HISTORY_COLUMNS = `resource_type, id, version_id::text AS version_id, last_updated,
  method = 'DELETE' AS deleted, method, ${BODY} AS json`

const toVersion = (row: any): StoredVersion => ({
  resourceType: row.resource_type,
  id: row.id,
  versionId: row.version_id,
  lastUpdated: (row.last_updated as Date).toISOString(),
  deleted: row.deleted,
  method: row.method,
  json: row.json,
})

export class PgResourceStore implements ResourceStore {
  constructor(
    private readonly db: Db,
    readonly context: RequestContext,
    private readonly inTransaction = false,
  ) {}

  async read(type: string, id: string) {
    const { rows } = await this.db.query({
      name: 'read-current',
      text: `SELECT ${CURRENT_COLUMNS} FROM resource WHERE resource_type = $1 AND id = $2`,
      values: [type, id],
    })
    return rows.length ? toVersion(rows[0]) : undefined
  }

  async readForUpdate(type: string, id: string) {
    const { rows } = await this.db.query({
      name: 'read-current-for-update',
      text: `SELECT ${CURRENT_COLUMNS} FROM resource WHERE resource_type = $1 AND id = $2 FOR UPDATE`,
      values: [type, id],
    })
    return rows.length ? toVersion(rows[0]) : undefined
  }

  async vread(type: string, id: string, versionId: string) {
    if (!/^[1-9][0-9]{0,17}$/.test(versionId)) return undefined
    const { rows } = await this.db.query({
      name: 'read-version',
      text: `SELECT ${HISTORY_COLUMNS} FROM resource_history
             WHERE resource_type = $1 AND id = $2 AND version_id = $3`,
      values: [type, id, versionId],
    })
    return rows.length ? toVersion(rows[0]) : undefined
  }

  async insert(v: NewVersion) {
    // One statement: the history row is written only when the current row was, atomically.
    const result = await this.db.query({
      name: 'insert-resource',
      text: `WITH current AS (
               INSERT INTO resource (resource_type, id, version_id, last_updated, deleted, content)
               VALUES ($1, $2, $3, $4, false, $5::jsonb)
               ON CONFLICT DO NOTHING
               RETURNING resource_type, id, version_id, last_updated, content)
             INSERT INTO resource_history (resource_type, id, version_id, last_updated, method, content)
             SELECT resource_type, id, version_id, last_updated, $6, content FROM current`,
      values: [v.resourceType, v.id, v.versionId, v.lastUpdated, v.json, v.method],
    })
    return result.rowCount === 1
  }

  async replace(v: NewVersion) {
    await this.db.query({
      name: 'replace-resource',
      text: `WITH current AS (
               UPDATE resource SET version_id = $3, last_updated = $4, deleted = $5, content = $6::jsonb
               WHERE resource_type = $1 AND id = $2
               RETURNING resource_type, id, version_id, last_updated, content)
             INSERT INTO resource_history (resource_type, id, version_id, last_updated, method, content)
             SELECT resource_type, id, version_id, last_updated, $7, content FROM current`,
      values: [v.resourceType, v.id, v.versionId, v.lastUpdated, v.json === null, v.json, v.method],
    })
  }

  async history(q: HistoryQuery) {
    const where: string[] = []
    const values: unknown[] = []
    const add = (sql: string, value: unknown) => {
      values.push(value)
      where.push(sql.replace('?', `$${values.length}`))
    }
    if (q.resourceType) add('resource_type = ?', q.resourceType)
    if (q.id) add('id = ?', q.id)
    if (q.since) add('last_updated >= ?', q.since)
    if (q.at) {
      // _at: the versions current at that instant (http.html#history)
      values.push(q.at)
      where.push(`last_updated <= $${values.length} AND NOT EXISTS (
        SELECT 1 FROM resource_history later WHERE later.resource_type = resource_history.resource_type
          AND later.id = resource_history.id AND later.version_id > resource_history.version_id
          AND later.last_updated <= $${values.length})`)
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : ''
    const total = await this.db.query(`SELECT count(*)::int AS n FROM resource_history ${clause}`, values)
    const { rows } = await this.db.query(
      `SELECT ${HISTORY_COLUMNS} FROM resource_history ${clause}
       ORDER BY last_updated DESC, version_id DESC, resource_type, id
       LIMIT ${q.count} OFFSET ${q.offset}`,
      values,
    )
    return { total: total.rows[0].n, versions: rows.map(toVersion) }
  }

  async find(type: string, filters: Filter[], limit: number, offset = 0) {
    const { clause, values } = filterSql(type, filters)
    const { rows } = await this.db.query(
      `SELECT ${CURRENT_COLUMNS} FROM resource WHERE ${clause} ORDER BY last_updated, id
       LIMIT ${Math.trunc(limit)} OFFSET ${Math.trunc(offset)}`,
      values,
    )
    return rows.map(toVersion)
  }

  async count(type: string, filters: Filter[]) {
    const { clause, values } = filterSql(type, filters)
    const { rows } = await this.db.query(`SELECT count(*)::int AS n FROM resource WHERE ${clause}`, values)
    return rows[0].n as number
  }

  async guardConditional(type: string, criteria: string) {
    // The upsert row-locks the guard row until commit; a second writer with the same criteria
    // waits here, then sees the first writer's committed resource in its own search.
    await this.db.query({
      name: 'guard-conditional',
      text: `INSERT INTO conditional_guard (resource_type, criteria) VALUES ($1, $2)
             ON CONFLICT (resource_type, criteria) DO UPDATE SET touched_at = now()`,
      values: [type, criteria],
    })
  }

  async existing(keys: string[]) {
    if (keys.length === 0) return new Set<string>()
    const { rows } = await this.db.query(
      `SELECT resource_type || '/' || id AS key FROM resource
       WHERE (resource_type || '/' || id) = ANY($1::text[]) AND NOT deleted`,
      [keys],
    )
    return new Set(rows.map((r) => r.key as string))
  }

  async transaction<T>(fn: (tx: ResourceStore) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this)
    const client = await (this.db as pg.Pool).connect()
    try {
      await client.query('BEGIN')
      const result = await fn(new PgResourceStore(client, this.context, true))
      await client.query('COMMIT')
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw err
    } finally {
      client.release()
    }
  }
}

function filterSql(type: string, filters: Filter[]) {
  const values: unknown[] = [type]
  const param = (v: unknown) => {
    values.push(v)
    return `$${values.length}`
  }
  const parts = ['resource_type = $1', 'NOT deleted']
  for (const f of filters) {
    if (f.kind === 'id') parts.push(`id = ANY(${param(f.values)}::text[])`)
    else if (f.kind === 'lastUpdated') {
      const op = { gt: '>', ge: '>=', lt: '<', le: '<=' }[f.op]
      parts.push(`last_updated ${op} ${param(f.value)}::timestamptz`)
    } else {
      const ors = f.values.map((t) => {
        const probe: Record<string, string> = {}
        if (t.system) probe.system = t.system
        if (t.code !== undefined) probe.value = t.code
        const contains = `content -> 'identifier' @> ${param(JSON.stringify([probe]))}::jsonb`
        if (t.system !== null) return contains
        // "|code": the identifier must have no system at all
        return `(${contains} AND EXISTS (SELECT 1 FROM jsonb_array_elements(content -> 'identifier') i
                 WHERE i ->> 'value' = ${param(t.code)} AND NOT i ? 'system'))`
      })
      parts.push(`(${ors.join(' OR ')})`)
    }
  }
  return { clause: parts.join(' AND '), values }
}
