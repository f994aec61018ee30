// A transaction's next-version writes, held back and sent together. A worker recording a batch
// of deliveries, or a transaction Bundle of updates, writes one version per resource: sent one
// statement each, most of the time goes on round trips. Here a replace waits until the
// transaction next talks to the database (any query: a read then sees the write) or commits,
// and the replaces waiting by then go in one statement. Order is kept: nothing is queried
// between a replace and its flush, and a second replace of the same resource flushes the first.
import type pg from 'pg'
import { replaceVersionSql, replaceVersionsSql } from './write-sql.js'
import { EMPTY_INDEX } from './index-sql.js'
import type { NewVersion } from './types.js'

export interface WriteBehind {
  /** the transaction's connection; every query first sends the writes held back */
  readonly db: pg.PoolClient
  /** holds `version` back until the next query or flush */
  replace(version: NewVersion): Promise<void>
  /** sends the writes held back (before COMMIT) */
  flush(): Promise<void>
}

export function writeBehind(client: pg.PoolClient): WriteBehind {
  let held: NewVersion[] = []
  const keys = new Set<string>()
  const raw = client.query.bind(client) as (...a: unknown[]) => Promise<pg.QueryResult>

  const flush = async () => {
    if (held.length === 0) return
    const versions = held
    held = []
    keys.clear()
    if (versions.length === 1) {
      const v = versions[0]
      const { text, indexValues } = replaceVersionSql(v.json === null ? EMPTY_INDEX : (v.index ?? EMPTY_INDEX))
      await raw({ name: 'replace-resource', text, values: [v.resourceType, v.id, v.versionId, v.lastUpdated, v.json === null, v.json, v.method, ...indexValues] })
      return
    }
    const { text, values } = replaceVersionsSql(versions)
    await raw(text, values)
  }

  const query = (...args: unknown[]) => {
    // Callback and Submittable (cursor, stream) forms return no promise to wait on: sent as
    // they are when nothing is held back, refused otherwise rather than read past the writes.
    if (args.some((a) => typeof a === 'function') || typeof (args[0] as { submit?: unknown })?.submit === 'function') {
      if (held.length) throw new Error('a streamed or callback query cannot follow writes held back in the same transaction')
      return raw(...args)
    }
    return flush().then(() => raw(...args))
  }
  const db = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'query') return query
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })

  return {
    db,
    async replace(version) {
      const key = `${version.resourceType}/${version.id}`
      if (keys.has(key)) await flush()
      held.push(version)
      keys.add(key)
    },
    flush,
  }
}
