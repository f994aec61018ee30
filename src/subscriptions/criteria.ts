// Subscription.criteria (R4 subscription.html, Subscription.criteria: "search criteria, without
// the [base] part; like Bundle.entry.request.url, no leading /"): a type-level search this
// server supports, parsed by the server's own search parser so a notification means exactly
// what `GET [base]/[criteria]` would find. Anything the search would ignore or refuse is
// refused here (422), because a Subscription that silently ignored part of its criteria would
// notify about resources its subscriber never asked for.
import { FhirError, unprocessable } from '../errors.js'
import { parseQueryString } from '../fhir/search/criteria.js'
import { parseSearch, RESULT_PARAMETERS } from '../fhir/search/parse.js'
import { isResourceType } from '../fhir/validation/index.js'

export interface ParsedCriteria {
  /** the resource type the Subscription watches */
  type: string
  /** its search parameters */
  query: Record<string, string[]>
}

/** Splits and checks criteria; throws a 422 OperationOutcome located at `${path}.criteria`. */
export function parseCriteria(criteria: unknown, baseUrl: string, path = 'Subscription'): ParsedCriteria {
  const where = `${path}.criteria`
  const refuse = (why: string) => unprocessable(`Subscription.criteria ${JSON.stringify(criteria)} is not a search this server supports: ${why}`, where)
  if (typeof criteria !== 'string' || criteria.trim() === '') throw refuse('it is empty')
  const [type, qs = '', ...more] = criteria.split('?')
  if (more.length) throw refuse('it has more than one "?"')
  if (!/^[A-Z][A-Za-z]+$/.test(type) || !isResourceType(type)) {
    throw refuse(`it must start with an R4 resource type, as in "Task?requester=Organization/X" (no base URL, no leading "/")`)
  }
  const query = parseQueryString(qs)
  const shaping = Object.keys(query).filter((k) => RESULT_PARAMETERS.has(k))
  if (shaping.length) throw refuse(`${shaping.join(', ')} shape search results and select nothing`)
  try {
    const parsed = parseSearch([type], query, baseUrl)
    if (parsed.ignored.length) throw refuse(parsed.ignored.map((i) => `${i.name} (${i.reason})`).join('; '))
  } catch (err) {
    if (err instanceof FhirError && err.status === 422) throw err
    if (err instanceof FhirError && err.status < 500) throw refuse(err.outcome.issue?.[0]?.diagnostics ?? err.message)
    throw err
  }
  return { type, query }
}

/** The criteria's parameters with `_id` added: the search that finds one resource if it matches. */
export function withId(query: Record<string, string[]>, id: string): Record<string, string[]> {
  return { ...query, _id: [...(query._id ?? []), id] }
}

