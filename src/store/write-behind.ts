// A transaction's next-version writes, held back and sent together. A worker recording a batch
// of deliveries, or a transaction Bundle of updates, writes one version per resource: sent one
// statement each, most of the time goes on round trips. Here a replace waits until the
// transaction next talks to the database (any query: a read then sees the write) or commits,
// and the replaces waiting by then go in one statement. Order is kept: nothing is queried
// between a replace and its flush, and a second replace of the same resource flushes the first.
import type pg from 'pg'
import { replaceVersionQuery, replaceVersionsSql } from './write-sql.js'
import { isStreamOrCallback, withQuery } from './serial-client.js'
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
      await raw(replaceVersionQuery(versions[0]))
      return
    }
    const { text, values } = replaceVersionsSql(versions)
    await raw(text, values)
  }

  const query = (...args: unknown[]) => {
    // Callback and Submittable (cursor, stream) forms return no promise to wait on: sent as
    // they are when nothing is held back, refused otherwise rather than read past the writes.
    if (isStreamOrCallback(args)) {
      if (held.length) throw new Error('a streamed or callback query cannot follow writes held back in the same transaction')
      return raw(...args)
    }
    return flush().then(() => raw(...args))
  }
  const db = withQuery(client, query)

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
