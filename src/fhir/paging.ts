// _count and _offset parsing shared by search and history (search.html#count).
import { badRequest } from '../errors.js'

// A page without _count holds 20, as HAPI FHIR's and Medplum's do: a client wanting more asks.
export const DEFAULT_COUNT = 20
export const MAX_COUNT = 1000

export function pageParams(query: Record<string, string[]>): { count: number; offset: number } {
  const count = intParam(query, '_count', DEFAULT_COUNT, 0, MAX_COUNT)
  const offset = intParam(query, '_offset', 0, 0, 1_000_000)
  return { count, offset }
}

function intParam(query: Record<string, string[]>, name: string, dflt: number, min: number, max: number) {
  const raw = query[name]?.[0]
  if (raw === undefined) return dflt
  if (!/^\d{1,9}$/.test(raw)) throw badRequest(`${name} must be a whole number, got ${JSON.stringify(raw)}`, name)
  const n = Number(raw)
  if (n < min) throw badRequest(`${name} must be at least ${min}`, name)
  return Math.min(n, max)
}
