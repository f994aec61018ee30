// Query strings as parameter maps, and a canonical key for conditional-write criteria.
import { badRequest } from '../../errors.js'

/**
 * Query-string text → parameter map ('identifier=a|b&_id=1'). The map has no prototype, so a
 * parameter named constructor or toString is a parameter like any other (an unknown one);
 * __proto__ is refused, as no FHIR parameter has that name and plain objects treat it specially.
 */
export function parseQueryString(qs: string): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null)
  for (const [k, v] of new URLSearchParams(qs)) {
    if (k === '__proto__') throw badRequest('__proto__ is not a parameter name', '__proto__')
    ;(out[k] ??= []).push(v)
  }
  return out
}

/** A stable key for the same criteria written in any order. */
export function criteriaKey(query: Record<string, string[]>): string {
  return Object.entries(query)
    .flatMap(([k, vs]) => vs.map((v) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .sort()
    .join('&')
}
