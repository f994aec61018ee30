// Which Subscriptions are live, by the resource type they watch. Every write asks, so each
// process keeps them in memory per database and reloads them only after a change:
//  - a Subscription write in this process drops the cache once it commits;
//  - other processes hear of it on LISTEN casehub_subscriptions (the write NOTIFYs in its
//    transaction, so PostgreSQL sends it at commit; a NOTIFY arrives within milliseconds);
//  - while the LISTEN connection is down nothing is cached: every write reads the
//    Subscriptions afresh, so a change is never missed, only slower to find.
// The cache is loaded through the pool (committed Subscriptions only), never inside a write's
// transaction, so a Subscription written by a transaction that rolls back is never cached.
import type { Subscription } from '@medplum/fhirtypes'
import pg from 'pg'
import { systemContext, type RequestContext } from '../store/context.js'
import type { ResourceStore } from '../store/types.js'
import { sqlOf } from '../routing/sql.js'
import { parseCriteria } from './criteria.js'

export const SUBSCRIPTION_CHANNEL = 'casehub_subscriptions'

export interface LiveSubscription {
  id: string
  /** the type its criteria search */
  type: string
  query: Record<string, string[]>
  /** Subscription.end in ms since the epoch: no notifications after it */
  end?: number
}

export interface SubscriptionDatabase {
  url: string
  store(context: RequestContext): ResourceStore
}

export type SubscriptionLog = (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string) => void

/** `active` and `error` Subscriptions notify (an `error` one keeps trying; a success makes it active again). */
const LIVE = new Set(['active', 'error'])

/** Reads every live rest-hook Subscription, grouped by the type its criteria search. */
export async function loadLive(store: ResourceStore): Promise<Map<string, LiveSubscription[]>> {
  const byType = new Map<string, LiveSubscription[]>()
  let after: { resourceType: string; id: string } | undefined
  for (;;) {
    const page = await store.scan({ type: 'Subscription', after, limit: 500 })
    for (const v of page) {
      const sub = v.json ? (JSON.parse(v.json) as Subscription) : undefined
      if (!sub || !LIVE.has(sub.status) || sub.channel?.type !== 'rest-hook') continue
      let parsed
      try {
        parsed = parseCriteria(sub.criteria, '')
      } catch {
        continue // written before this server refused such criteria (or its SearchParameter is gone)
      }
      const end = sub.end ? Date.parse(sub.end) : undefined
      const list = byType.get(parsed.type) ?? []
      list.push({ id: v.id, type: parsed.type, query: parsed.query, ...(end !== undefined && !Number.isNaN(end) ? { end } : {}) })
      byType.set(parsed.type, list)
    }
    if (page.length < 500) return byType
    after = { resourceType: 'Subscription', id: page[page.length - 1].id }
  }
}

/** The cache for one database. */
export class LiveSubscriptions {
  private byType?: Map<string, LiveSubscription[]>
  private generation = 0
  private listener?: pg.Client
  private connecting?: Promise<void>
  private refreshing?: Promise<void>
  private stopped = false

  constructor(
    private readonly db: SubscriptionDatabase,
    private readonly log?: SubscriptionLog,
  ) {}

  async start(): Promise<void> {
    await this.listen()
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.connecting
    await this.refreshing
    const l = this.listener
    this.listener = undefined
    await l?.end().catch(() => undefined)
  }

  invalidate(): void {
    this.generation++
    this.byType = undefined
  }

  /** Whether writes of `type` may concern a Subscription (true when not known for sure). */
  concerns(type: string): boolean {
    return !this.byType || !this.listener || this.byType.has(type)
  }

  /**
   * The live Subscriptions for `type`, as seen by `store` (the write's own transaction) when
   * nothing is cached. Waiting for a pool connection there, while holding a transaction that
   * other writes wait on, could exhaust the pool; the cache is refreshed from the pool in the
   * background instead, where only committed Subscriptions are seen.
   */
  async forType(type: string, store: ResourceStore): Promise<LiveSubscription[]> {
    if (this.byType && this.listener) return this.byType.get(type) ?? []
    if (this.listener) void this.refresh()
    else void this.listen()
    return (await loadLive(store)).get(type) ?? []
  }

  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        for (let tries = 0; !this.byType && tries < 3; tries++) {
          const generation = this.generation
          const loaded = await loadLive(this.db.store(systemContext('subscriptions')))
          // A change that came in while loading may be missing from what was read: read again.
          if (generation === this.generation) this.byType = loaded
        }
      } catch (err) {
        this.log?.('warn', { err: (err as Error).message }, 'could not read the Subscriptions; reading them on every write for now')
      } finally {
        this.refreshing = undefined
      }
    })()
    return this.refreshing
  }

  private listen(): Promise<void> {
    if (this.stopped || this.listener) return Promise.resolve()
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.db.url })
      client.on('error', (err) => {
        this.log?.('warn', { err: err.message }, 'subscriptions LISTEN connection lost; reading Subscriptions on every write until it is back')
        if (this.listener === client) this.listener = undefined
        this.invalidate()
      })
      client.on('notification', () => this.invalidate())
      try {
        await client.connect()
        await client.query(`LISTEN ${SUBSCRIPTION_CHANNEL}`)
        if (this.stopped) await client.end()
        else {
          this.listener = client
          this.invalidate() // changes made while nobody listened are read afresh
        }
      } catch (err) {
        this.log?.('warn', { err: (err as Error).message }, 'subscriptions LISTEN failed; reading Subscriptions on every write')
        await client.end().catch(() => undefined)
      } finally {
        this.connecting = undefined
      }
    })()
    return this.connecting
  }
}

// One cache per database the process writes to (a process normally has one; tests may run
// several servers over different databases). A write finds its database's cache through the
// connection its transaction runs on.
const caches = new Map<string, LiveSubscriptions>()

type Addressed = { host?: string; port?: number; database?: string }
const keyOf = (c: Addressed) => `${c.host ?? ''}:${c.port ?? ''}/${c.database ?? ''}`

export function databaseKey(url: string): string {
  return keyOf(new pg.Client({ connectionString: url }) as unknown as Addressed)
}

export function attachCache(url: string, cache: LiveSubscriptions): () => void {
  const key = databaseKey(url)
  caches.set(key, cache)
  return () => {
    if (caches.get(key) === cache) caches.delete(key)
  }
}

export function cacheFor(store: ResourceStore): LiveSubscriptions | undefined {
  if (caches.size === 0) return undefined
  const conn = sqlOf(store) as unknown as Addressed & { options?: { connectionString?: string } }
  // a transaction's connection (pg.Client) knows its database; a pool, its connection string
  return caches.get(conn.options?.connectionString ? databaseKey(conn.options.connectionString) : keyOf(conn))
}

/** Whether any database's Subscriptions may concern writes of `type` (no cache: assume so). */
export function concernsAny(type: string): boolean {
  if (caches.size === 0) return true
  for (const c of caches.values()) if (c.concerns(type)) return true
  return false
}

/** The live Subscriptions for `type` in the database `store` writes to. */
export async function liveFor(type: string, store: ResourceStore): Promise<LiveSubscription[]> {
  const cache = cacheFor(store)
  // No cache for this database (a process that did not start one): read them now, committed only.
  if (!cache) return (await loadLive(store)).get(type) ?? []
  return cache.forType(type, store)
}
