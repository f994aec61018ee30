// Searches the server makes for itself (write hooks, operations, case work): the resources of one
// type that search parameters find, parsed exactly as a client's search would be (search.html),
// without a Bundle around them. Every match is returned, read page by page along the same keyset
// cursor a client's `next` link follows, unless `limit` asks for fewer.
import type { Resource } from '@medplum/fhirtypes'
import type { ResourceStore } from '../../store/types.js'
import { parseSearch } from './parse.js'

export interface FindOptions {
  /** the server's base URL, for references written as absolute URLs ('' when none can be) */
  baseUrl?: string
  /** rows read per statement (default 100; a `_count` in params instead) */
  count?: number
  /** at most this many matches (default: all of them) */
  limit?: number
}

export async function findResources<T extends Resource>(
  store: ResourceStore,
  type: string,
  params: Record<string, string | string[]>,
  opts: FindOptions = {},
): Promise<(T & { id: string })[]> {
  const limit = opts.limit ?? Infinity
  const query: Record<string, string[]> = {}
  for (const [name, value] of Object.entries(params)) query[name] = Array.isArray(value) ? value : [value]
  query._count ??= [String(Math.min(opts.count ?? 100, limit))]
  const q = parseSearch([type], query, opts.baseUrl ?? '').query
  const found: (T & { id: string })[] = []
  let after = ''
  for (;;) {
    const page = await store.search(q)
    for (const m of page.matches) {
      if (m.version.json && found.length < limit) found.push({ ...(JSON.parse(m.version.json) as T), id: m.version.id })
    }
    const last = page.matches[page.matches.length - 1]
    if (!page.hasMore || !last || found.length >= limit) return found
    // type and id end every sort, so the cursor moves on; if it ever did not, stop rather than loop
    const next = JSON.stringify(last.keys)
    if (next === after) throw new Error(`findResources: the cursor of ${type} did not move on`)
    after = next
    q.cursor = { values: last.keys, backwards: false }
  }
}
