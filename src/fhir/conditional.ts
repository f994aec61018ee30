// Resolves conditional criteria (http.html#ccreate, #cond-update, #cdelete) to matches.
import { badRequest } from '../errors.js'
import type { ResourceStore, StoredVersion } from '../store/types.js'
import { criteriaKey, parseQueryString } from './search/criteria.js'
import { parseSearch } from './search/parse.js'
import { resolveValueSets } from './search/value-sets.js'

export interface ConditionalMatch {
  key: string
  matches: StoredVersion[]
}

/**
 * Finds the resources matching `criteria` (a query string or parameter map). At most two are
 * fetched: callers only need to know none / one / several. Criteria the server cannot
 * evaluate are refused, because ignoring them would update or delete the wrong resource.
 */
export async function findConditional(
  store: ResourceStore,
  type: string,
  criteria: string | Record<string, string[]>,
  { guard = false, baseUrl = '' } = {},
): Promise<ConditionalMatch> {
  // If-None-Exist is "just the search parameters" (http.html#ccreate); many clients send Type? first
  const query = typeof criteria === 'string' ? parseQueryString(criteria.replace(new RegExp(`^(${type})?\\?`), '')) : criteria
  if (Object.keys(query).length === 0) throw badRequest(`Conditional ${type} request has no search criteria`)
  const parsed = parseSearch([type], query, baseUrl)
  if (parsed.ignored.length) {
    throw badRequest(
      `Conditional ${type} criteria use parameters the server does not support: ` +
        parsed.ignored.map((i) => `${i.name} (${i.reason})`).join('; '),
    )
  }
  // Result parameters (_format, _count …) select nothing: without a real criterion a conditional
  // write would hit every resource of the type.
  if (parsed.query.conditions.length === 0) throw badRequest(`Conditional ${type} request has no search criteria`)
  const key = criteriaKey(query)
  if (guard) await store.guardConditional(type, key)
  const conditions = await resolveValueSets(parsed.query.conditions, store, baseUrl)
  const page = await store.search({ ...parsed.query, conditions, sort: [], cursor: undefined, count: 2 })
  return { key, matches: page.matches.map((m) => m.version) }
}
