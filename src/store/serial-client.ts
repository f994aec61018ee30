// A transaction's connection, shared by code that may query it concurrently (Promise.all over
// reads of one patient's record, say). One pg connection runs one query at a time anyway; pg
// queues the rest itself, but that is deprecated (removed in pg 9). Here each query is sent
// when the one before it has settled, in the order they were asked for.
import type pg from 'pg'

export function serialClient(client: pg.PoolClient): pg.PoolClient {
  let tail: Promise<unknown> = Promise.resolve()
  const query = (...args: unknown[]) => {
    // Callback and Submittable (stream) forms are passed through as they are.
    if (isStreamOrCallback(args)) {
      return (client.query as (...a: unknown[]) => unknown)(...args)
    }
    const run = tail.then(() => (client.query as (...a: unknown[]) => Promise<unknown>)(...args))
    tail = run.catch(() => undefined)
    return run
  }
  return withQuery(client, query)
}

/** Whether a query call is in the callback or Submittable (cursor, stream) form, which returns no promise. */
export const isStreamOrCallback = (args: unknown[]) =>
  args.some((a) => typeof a === 'function') || typeof (args[0] as { submit?: unknown })?.submit === 'function'

/** `client` with its query method replaced by `query` (everything else passed through). */
export function withQuery(client: pg.PoolClient, query: (...args: unknown[]) => unknown): pg.PoolClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'query') return query
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
