// ResourceStore over PostgreSQL. Parameterised SQL only; statements are small and named by job.
import { createHash } from 'node:crypto'
import type pg from 'pg'
import type { RequestContext } from './context.js'
import { deleteIndexCtes, EMPTY_INDEX, insertIndexCtes } from './index-sql.js'
import { insertVersionSql, insertVersionsSql, replaceVersionQuery, rewriteCurrentSql } from './write-sql.js'
import { countSql, includeSql, pageParts, revIncludeSql, searchSql } from './pg-search.js'
import { bodySql, currentColumns, toVersion } from './rows.js'
import type { IncludeQuery, SearchQuery } from './search-types.js'
import type { HistoryQuery, NewVersion, ResourceStore, SearchIndexRows, SearchPage, StoredVersion } from './types.js'
import { serialClient } from './serial-client.js'
import type { PlanChoice } from './plan-choice.js'
import { writeBehind, type WriteBehind } from './write-behind.js'

type Db = pg.Pool | pg.PoolClient

/**
 * Where searches outside a transaction run: connections of their own, opened with
 * plan_cache_mode force_custom_plan, switched to force_generic_plan and back as `plans` picks
 * for each statement (a SET only when the connection's mode changes).
 */
export interface SearchReads {
  pool: pg.Pool
  plans: PlanChoice
}

/** The plan_cache_mode each search connection is in (force_custom_plan until set otherwise). */
const planModes = new WeakMap<pg.PoolClient, string>()

const CURRENT_COLUMNS = currentColumns()
const HISTORY_COLUMNS = `resource_type, id, version_id::text AS version_id, last_updated,
  method = 'DELETE' AS deleted, method, ${bodySql()} AS json`

export class PgResourceStore implements ResourceStore {
  /** Current versions read by lockForUpdate, each given out once by readForUpdate (Type/id). */
  private readonly locked = new Map<string, StoredVersion>()

  constructor(
    private readonly db: Db,
    readonly context: RequestContext,
    private readonly inTransaction = false,
    private readonly committed: (() => void)[] = [],
    private readonly closing: (() => Promise<void>)[] = [],
    /** in a transaction: next versions held back and sent together (write-behind.ts) */
    private readonly behind?: WriteBehind,
    private readonly searchReads?: SearchReads,
  ) {}

  /** The connection (inside a transaction: the transaction's), for SQL beside the resource store's own, such as the outbox's. */
  get sql(): Db {
    return this.db
  }

  beforeCommit(fn: () => Promise<void>) {
    if (!this.inTransaction) throw new Error('beforeCommit needs a transaction')
    this.closing.push(fn)
  }

  afterCommit(fn: () => void) {
    if (this.inTransaction) this.committed.push(fn)
    else fn()
  }

  async read(type: string, id: string) {
    const { rows } = await this.db.query({
      name: 'read-current',
      text: `SELECT ${CURRENT_COLUMNS} FROM resource WHERE resource_type = $1 AND id = $2`,
      values: [type, id],
    })
    return rows.length ? toVersion(rows[0]) : undefined
  }

  async readForUpdate(type: string, id: string) {
    const key = `${type}/${id}`
    if (this.locked.has(key)) {
      const held = this.locked.get(key)
      this.locked.delete(key)
      return held
    }
    const { rows } = await this.db.query({
      name: 'read-current-for-update',
      text: `SELECT ${CURRENT_COLUMNS} FROM resource WHERE resource_type = $1 AND id = $2 FOR UPDATE`,
      values: [type, id],
    })
    return rows.length ? toVersion(rows[0]) : undefined
  }

  async lockForUpdate(type: string, ids: string[]) {
    if (!this.inTransaction) throw new Error('lockForUpdate needs a transaction')
    if (ids.length === 0) return
    // In id order, as concurrent lockers take them, so two batches cannot deadlock on each other.
    const { rows } = await this.db.query({
      name: 'read-many-for-update',
      text: `SELECT ${CURRENT_COLUMNS} FROM resource WHERE resource_type = $1 AND id = ANY($2::text[]) ORDER BY id FOR UPDATE`,
      values: [type, ids],
    })
    for (const row of rows) this.locked.set(`${type}/${row.id}`, toVersion(row))
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
    this.locked.delete(`${v.resourceType}/${v.id}`)
    // One statement: the history and index rows are written only when the current row was.
    const { text, indexValues } = insertVersionSql(v.index ?? EMPTY_INDEX)
    const { rows } = await this.db.query({
      name: 'insert-resource',
      text,
      values: [v.resourceType, v.id, v.versionId, v.lastUpdated, v.json, v.method, ...indexValues],
    })
    return rows[0].n === 1
  }

  async insertMany(versions: NewVersion[]) {
    if (versions.length === 0) return new Set<string>()
    for (const v of versions) this.locked.delete(`${v.resourceType}/${v.id}`)
    const { text, values } = insertVersionsSql(versions)
    const { rows } = await this.db.query({
      text,
      values: [
        versions.map((v) => v.resourceType),
        versions.map((v) => v.id),
        versions.map((v) => v.versionId),
        versions.map((v) => v.lastUpdated),
        versions.map((v) => v.json),
        versions.map((v) => v.method),
        ...values,
      ],
    })
    return new Set(rows.map((r) => `${r.resource_type}/${r.id}`))
  }

  async replace(v: NewVersion) {
    this.locked.delete(`${v.resourceType}/${v.id}`)
    if (this.behind) return this.behind.replace(v)
    await this.db.query(replaceVersionQuery(v))
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

  async search(q: SearchQuery, opts: { total?: boolean } = {}): Promise<SearchPage> {
    const backwards = q.cursor?.backwards ?? false
    const withTotal = opts.total === true && !q.cursor
    const { text, values, keyCount } = searchSql(q, pageParts(q), backwards, withTotal)
    const { rows } = await this.searchQuery(text, values)
    const matches = rows.map((row) => ({ version: toVersion(row), keys: keyValues(row, keyCount) }))
    const more = matches.length > q.count
    if (more) matches.length = q.count
    if (backwards) matches.reverse()
    const total = withTotal ? ((rows[0]?.total as number | undefined) ?? 0) : undefined
    return { matches, hasMore: more, total }
  }

  /** A search or count statement: outside a transaction on the search connections, with the plan SearchReads.plans picks. */
  private async searchQuery(text: string, values: unknown[]) {
    const reads = this.inTransaction ? undefined : this.searchReads
    if (!reads) return this.db.query(prepared(text, values))
    const config = prepared(text, values)
    // LIKE patterns stay planned for their values (see prepared)
    const generic = config.name !== undefined && reads.plans.generic(config.name)
    const mode = generic ? 'force_generic_plan' : 'force_custom_plan'
    const client = await reads.pool.connect()
    let failed: Error | undefined
    try {
      if ((planModes.get(client) ?? 'force_custom_plan') !== mode) {
        await client.query(`SET plan_cache_mode = ${mode}`)
        planModes.set(client, mode)
      }
      const started = performance.now()
      const result = await client.query(config)
      if (config.name) reads.plans.record(config.name, generic, performance.now() - started)
      return result
    } catch (err) {
      failed = err as Error
      throw err
    } finally {
      // as pool.query does: a connection that failed a query is not reused
      client.release(failed)
    }
  }

  async count(q: SearchQuery, estimate = false) {
    const { text, values } = countSql(q)
    if (estimate) {
      // The planner's row estimate for the search, without running it (_total=estimate).
      const { rows } = await this.db.query(`EXPLAIN (FORMAT JSON) ${text.replace('count(*)::int AS n', '1')}`, values)
      return Math.round(rows[0]['QUERY PLAN'][0].Plan['Plan Rows'] as number)
    }
    const { rows } = await this.searchQuery(text, values)
    return rows[0].n as number
  }

  async include(q: IncludeQuery) {
    if (q.from.length === 0) return []
    const { text, values } = includeSql(q)
    const { rows } = await this.db.query(prepared(text, values))
    return rows.map(toVersion)
  }

  async revInclude(q: IncludeQuery) {
    if (q.from.length === 0) return []
    const { text, values } = revIncludeSql(q)
    const { rows } = await this.db.query(prepared(text, values))
    return rows.map(toVersion)
  }

  async scan(opts: { type?: string; after?: { resourceType: string; id: string }; limit: number }) {
    const values: unknown[] = [opts.after?.resourceType ?? '', opts.after?.id ?? '']
    let where = '(resource_type, id) > ($1, $2) AND NOT deleted'
    if (opts.type) {
      values.push(opts.type)
      where += ` AND resource_type = $${values.length}`
    }
    const { rows } = await this.db.query(
      `SELECT ${CURRENT_COLUMNS} FROM resource WHERE ${where} ORDER BY resource_type, id LIMIT ${Math.trunc(opts.limit)}`,
      values,
    )
    return rows.map(toVersion)
  }

  async rewriteHistory(resourceType: string, id: string, versionId: string, json: string) {
    const { rowCount } = await this.db.query({
      name: 'rewrite-history',
      text: `UPDATE resource_history SET content = $4::json
             WHERE resource_type = $1 AND id = $2 AND version_id = $3 AND content IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM resource r WHERE r.resource_type = $1 AND r.id = $2 AND r.version_id = $3)`,
      values: [resourceType, id, Number(versionId), json],
    })
    return rowCount === 1
  }

  async rewriteCurrent(resourceType: string, id: string, versionId: string, json: string, index: SearchIndexRows) {
    const { text, indexValues } = rewriteCurrentSql(index)
    const { rows } = await this.db.query({ name: 'rewrite-current', text, values: [resourceType, id, Number(versionId), json, ...indexValues] })
    return rows[0].n === 1
  }

  async metaInUse(resourceTypes: string[], limit: number) {
    // resource_type and param lead the value indexes, so only the rows of these parameters are read
    const codes = async (param: string) => {
      const { rows } = await this.db.query(
        `SELECT DISTINCT system, code FROM search_token WHERE resource_type = ANY($1) AND param = $2 AND code IS NOT NULL ORDER BY system, code LIMIT $3`,
        [resourceTypes, param, limit],
      )
      return rows.map((r) => ({ ...(r.system !== null ? { system: r.system as string } : {}), code: r.code as string }))
    }
    const uris = await this.db.query(
      `SELECT DISTINCT value FROM search_uri WHERE resource_type = ANY($1) AND param = '_profile' ORDER BY value LIMIT $2`,
      [resourceTypes, limit],
    )
    return { profiles: uris.rows.map((r) => r.value as string), tags: await codes('_tag'), security: await codes('_security') }
  }

  async writeIndex(resourceType: string, id: string, versionId: string, index: SearchIndexRows) {
    // Only while the resource is still at the version the index was computed from and not
    // deleted (a write meanwhile has indexed its own version; a deleted resource has no index
    // rows, which search relies on); the row lock makes a concurrent write wait for this one.
    const insert = insertIndexCtes(index, 4, 'current')
    const { rows } = await this.db.query({
      name: 'rewrite-index',
      text: `WITH current AS (
               SELECT resource_type, id FROM resource
               WHERE resource_type = $1 AND id = $2 AND version_id = $3 AND NOT deleted FOR UPDATE),
             ${deleteIndexCtes('EXISTS (SELECT 1 FROM current)').join(',\n')},
             ${insert.ctes.join(',\n')}
             SELECT count(*)::int AS n FROM current`,
      values: [resourceType, id, versionId, ...insert.values],
    })
    return rows[0].n === 1
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
    // Joined by (type, id) so the primary key is used.
    const pairs = keys.map((k) => [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)])
    const { rows } = await this.db.query(
      `SELECT r.resource_type || '/' || r.id AS key
       FROM unnest($1::text[], $2::text[]) AS k(resource_type, id)
       JOIN resource r ON r.resource_type = k.resource_type AND r.id = k.id
       WHERE NOT r.deleted`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    )
    return new Set(rows.map((r) => r.key as string))
  }

  async snapshot() {
    if (this.inTransaction) return undefined
    const { rows } = await this.db.query({ name: 'current-snapshot', text: 'SELECT pg_current_snapshot()::text AS s' })
    return rows[0].s as string
  }

  async transaction<T>(fn: (tx: ResourceStore) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this)
    const client = await (this.db as pg.Pool).connect()
    try {
      await client.query('BEGIN')
      const behind = writeBehind(serialClient(client))
      const tx = new PgResourceStore(behind.db, this.context, true, [], [], behind)
      const result = await fn(tx)
      // Work queued for the end of the transaction may queue more (e.g. a write with hooks)
      for (let next = tx.closing.shift(); next; next = tx.closing.shift()) await next()
      await behind.flush()
      await client.query('COMMIT')
      for (const done of tx.committed) done()
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw err
    } finally {
      client.release()
    }
  }
}

/**
 * Searches of the same shape share their SQL text, so each is prepared once per connection
 * (named by a hash of the text) and PostgreSQL can skip parsing and, when its cost model
 * agrees, planning. :contains (LIKE '%…%') searches stay unprepared: whether an index helps
 * depends on the pattern, which a generic plan cannot see.
 */
function prepared(text: string, values: unknown[]): pg.QueryConfig {
  if (text.includes(' LIKE ')) return { text, values }
  return { name: statementName(text), text, values }
}

const statementName = (text: string) => `s_${createHash('sha1').update(text).digest('base64url')}`

const keyValues = (row: Record<string, unknown>, n: number) =>
  Array.from({ length: n }, (_v, i) => (row[`k${i}`] ?? null) as string | null)
