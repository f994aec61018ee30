// Searches the server makes for itself (write hooks, operations, case work): the resources of one
// type that search parameters find, parsed exactly as a client's search would be (search.html),
// without a Bundle around them. One page: `count` (default 100) at most.
import type { Resource } from '@medplum/fhirtypes'
import type { ResourceStore } from '../../store/types.js'
import { parseSearch } from './parse.js'

export interface FindOptions {
  /** the server's base URL, for references written as absolute URLs ('' when none can be) */
  baseUrl?: string
  /** page size, unless `params` has _count */
  count?: number
}

export async function findResources<T extends Resource>(
  store: ResourceStore,
  type: string,
  params: Record<string, string | string[]>,
  opts: FindOptions = {},
): Promise<(T & { id: string })[]> {
  const query: Record<string, string[]> = { _count: [String(opts.count ?? 100)] }
  for (const [name, value] of Object.entries(params)) query[name] = Array.isArray(value) ? value : [value]
  const page = await store.search(parseSearch([type], query, opts.baseUrl ?? '').query)
  return page.matches.flatMap((m) => (m.version.json ? [{ ...(JSON.parse(m.version.json) as T), id: m.version.id }] : []))
}
