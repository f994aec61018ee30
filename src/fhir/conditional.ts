// Resolves conditional criteria (http.html#ccreate, #cond-update, #cdelete) to matches.
import { badRequest } from '../errors.js'
import type { ResourceStore, StoredVersion } from '../store/types.js'
import { criteriaKey, parseCriteria, parseQueryString } from './search/criteria.js'

export interface ConditionalMatch {
  key: string
  matches: StoredVersion[]
}

/**
 * Finds the resources matching `criteria` (a query string or parameter map). At most two are
 * fetched: callers only need to know none / one / several. Criteria the server cannot
 * evaluate exactly are refused, because guessing would update or delete the wrong resource.
 */
export async function findConditional(
  store: ResourceStore,
  type: string,
  criteria: string | Record<string, string[]>,
  { guard = false } = {},
): Promise<ConditionalMatch> {
  const query = typeof criteria === 'string' ? parseQueryString(criteria.replace(/^\?/, '')) : criteria
  if (Object.keys(query).length === 0) throw badRequest(`Conditional ${type} request has no search criteria`)
  const { filters, unsupported } = parseCriteria(query)
  if (unsupported.length) {
    throw badRequest(
      `Search parameter(s) ${unsupported.join(', ')} cannot be used in conditional criteria here; supported: _id, identifier, _lastUpdated`,
    )
  }
  // Result parameters (_format, _count …) select nothing: without a real criterion a conditional
  // write would hit every resource of the type.
  if (filters.length === 0) throw badRequest(`Conditional ${type} request has no search criteria`)
  const key = criteriaKey(query)
  if (guard) await store.guardConditional(type, key)
  return { key, matches: await store.find(type, filters, 2) }
}
