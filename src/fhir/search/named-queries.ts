// Named queries (search.html#query): `GET [type]?_query=name&…` runs a search that an
// OperationDefinition of kind `query` defines. Its own parameters are read by the query; every
// other parameter is an ordinary search parameter that narrows, sorts or pages the result.
// The OperationDefinitions themselves are conformance resources (profiles/), so they can be read
// at OperationDefinition/[id] and are listed in the CapabilityStatement.
import type { OperationDefinition } from '@medplum/fhirtypes'
import { badRequest } from '../../errors.js'
import type { Condition } from '../../store/search-types.js'

export interface NamedQueryInput {
  /** the query's own parameters, as given (each may repeat) */
  params: Record<string, string[]>
  baseUrl: string
  now: Date
}

export interface NamedQueryResult {
  conditions: Condition[]
  /** the answer moves with the clock (e.g. "in the last 3 months"), so it is never cached */
  dependsOnNow?: boolean
}

export interface NamedQuery {
  resourceType: string
  definition: OperationDefinition & { kind: 'query'; code: string }
  expand(input: NamedQueryInput): NamedQueryResult
}

const queries: NamedQuery[] = []

export function registerNamedQuery(query: NamedQuery): void {
  const i = queries.findIndex((q) => q.resourceType === query.resourceType && q.definition.code === query.definition.code)
  if (i >= 0) queries[i] = query
  else queries.push(query)
}

export function namedQueriesFor(resourceType: string): NamedQuery[] {
  return queries.filter((q) => q.resourceType === resourceType)
}

/** Whether `code` names a query (of any type): such a name is not an operation to invoke. */
export const isNamedQuery = (code: string) => queries.some((q) => q.definition.code === code)

/** The parameters a named query reads itself (OperationDefinition.parameter, use = in). */
const ownParameters = (q: NamedQuery) => new Set((q.definition.parameter ?? []).filter((p) => p.use === 'in').map((p) => p.name))

export interface AppliedNamedQuery extends NamedQueryResult {
  /** the request's parameters less `_query` and the query's own, for the ordinary search */
  rest: Record<string, string[]>
  /** `_query` and the query's own parameters, for the Bundle links */
  applied: Record<string, string[]>
}

/** Splits a request naming `_query` into the named query's conditions and the ordinary rest. */
export function applyNamedQuery(types: string[], query: Record<string, string[]>, baseUrl: string): AppliedNamedQuery | undefined {
  const names = query._query
  if (!names) return undefined
  if (names.length !== 1 || !names[0]) throw badRequest('Give _query once, with the name of one query', '_query')
  const known = types.length === 1 ? namedQueriesFor(types[0]) : []
  const named = known.find((q) => q.definition.code === names[0])
  if (!named) {
    const offered = known.map((q) => q.definition.code).join(', ')
    const where = types.length === 1 ? types[0] : 'a search of several types'
    throw badRequest(`Unknown named query "${names[0]}" for ${where}${offered ? ` (known: ${offered})` : ''}`, '_query')
  }
  const own = ownParameters(named)
  const params: Record<string, string[]> = {}
  const rest: Record<string, string[]> = {}
  for (const [k, v] of Object.entries(query)) {
    if (k === '_query') continue
    if (own.has(k)) params[k] = v
    else rest[k] = v
  }
  for (const p of named.definition.parameter ?? []) {
    if (p.use !== 'in') continue
    const given = params[p.name]?.length ?? 0
    if (given < p.min) throw badRequest(`The named query ${names[0]} needs the parameter ${p.name}`, p.name)
    if (p.max !== '*' && given > Number(p.max)) throw badRequest(`The named query ${names[0]} takes ${p.name} at most ${p.max} time(s)`, p.name)
  }
  return { ...named.expand({ params, baseUrl, now: new Date() }), rest, applied: { _query: names, ...params } }
}
