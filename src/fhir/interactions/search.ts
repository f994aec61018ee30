// search: GET [base]/[type]?params, POST [base]/[type]/_search, GET [base]?_type=... (system)
// and GET [base]/{compartment}/{id}/[type] or /* (compartment search) — http.html#search, search.html.
// Unknown parameters are reported in an OperationOutcome entry, or refused (400) with
// Prefer: handling=strict (search.html#errors). Pages are keyset cursors in the links.
import { badRequest, invalidResource, issue, notFound, outcome } from '../../errors.js'
import type { Condition } from '../../store/search-types.js'
import type { StoredVersion } from '../../store/types.js'
import { RawJson } from '../bundle-json.js'
import { COMPARTMENTS, compartmentCondition, wholeCompartment } from '../search/compartment.js'
import { fetchIncludes } from '../search/includes.js'
import { applyNamedQuery } from '../search/named-queries.js'
import { encodeCursor, parseSearch } from '../search/parse.js'
import { resolveValueSets } from '../search/value-sets.js'
import { dependsOnNow } from '../search/values.js'
import type { FhirRequest, FhirResponse, Handler, InteractionContext } from '../types.js'
import { isResourceType, resourceTypes } from '../validation/index.js'

export const search: Handler = (req, ctx, { type }) => runSearch(req, ctx, [type!], type!)

export const searchSystem: Handler = (req, ctx) => {
  const types = typesAsked(req)
  return runSearch(req, ctx, types ?? resourceTypes(), '', { multiType: true })
}

/** The types `_type` names (repeatable, comma-separated), if it is given. */
function typesAsked(req: FhirRequest): string[] | undefined {
  const types = (req.query._type ?? []).flatMap((v) => v.split(',')).filter((t) => t !== '')
  for (const t of types) if (!isResourceType(t)) throw badRequest(`_type names an unknown resource type: ${t}`, '_type')
  return types.length ? types : undefined
}

export const searchCompartment: Handler = (req, ctx, { type, id, compartmentType }) => {
  if (!COMPARTMENTS.includes(type!)) throw notFound(`${type} is not a compartment (compartments: ${COMPARTMENTS.join(', ')})`)
  if (compartmentType === '*') {
    const whole = wholeCompartment(type!, id!)
    if (!whole) throw notFound(`The ${type} compartment holds no resource types`)
    const asked = typesAsked(req)
    const outside = (asked ?? []).filter((t) => !whole.types.includes(t))
    if (outside.length) throw badRequest(`_type names types outside the ${type} compartment: ${outside.join(', ')}`, '_type')
    const types = asked ?? whole.types
    return runSearch(req, ctx, types, `${type}/${id}/*`, { extra: whole.condition, multiType: true })
  }
  const condition = compartmentCondition(type!, compartmentType!, id!)
  if (!condition) throw notFound(`${compartmentType} resources are not in the ${type} compartment`)
  return runSearch(req, ctx, [compartmentType!], `${type}/${id}/${compartmentType}`, { extra: condition })
}

export interface SearchOptions {
  /** a condition ANDed with the query's (a compartment) */
  extra?: Condition
  /** an operation answering with a searchset (Patient/$everything): its paging links repeat
   *  these, the operation's own parameters, instead of the search's */
  linkQuery?: Record<string, string[]>
  /** which included resources may be shown (all when absent) */
  showIncluded?: (v: StoredVersion) => boolean
  /** a search across types (system, compartment `*`), where `_type` chooses them */
  multiType?: boolean
}

/** Runs the search `req.query` describes over `types`. */
export async function runSearch(req: FhirRequest, ctx: InteractionContext, types: string[], path: string, opts: SearchOptions = {}): Promise<FhirResponse> {
  const named = applyNamedQuery(types, req.query, ctx.baseUrl)
  const parsed = parseSearch(types, named?.rest ?? req.query, ctx.baseUrl, { multiType: opts.multiType })
  if (named) {
    parsed.query.conditions.push(...named.conditions)
    Object.assign(parsed.applied, named.applied)
  }
  const strict = /handling\s*=\s*strict/.test(req.headers.prefer ?? '')
  // a date searched with ap (search.html#prefix) matches more as time passes: never kept
  const links = opts.linkQuery ?? parsed.applied
  const run = () => searchNow(req, ctx, parsed, strict, path, links, opts)
  if (!ctx.searchCache || named?.dependsOnNow || parsed.query.conditions.some(dependsOnNow)) return run()
  const query = Object.entries(req.query).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const key = JSON.stringify([ctx.baseUrl, path, types.length, strict, query, opts.linkQuery ?? null])
  return ctx.searchCache.answer(key, ctx.store, run)
}

async function searchNow(
  req: FhirRequest,
  ctx: InteractionContext,
  parsed: ReturnType<typeof parseSearch>,
  strict: boolean,
  path: string,
  links: Record<string, string[]>,
  { extra, showIncluded }: SearchOptions,
): Promise<FhirResponse> {
  if (parsed.ignored.length && strict) {
    // search.html#errors: with handling=strict, a parameter that cannot be applied is an error
    throw invalidResource(parsed.ignored.map((i) => issue('not-supported', `Search parameter "${i.name}" cannot be applied: ${i.reason}`, i.name)))
  }
  const q = parsed.query
  if (extra) q.conditions.push(extra)
  q.conditions = await resolveValueSets(q.conditions, ctx.store, ctx.baseUrl)
  const countOnly = req.query._summary?.[0] === 'count'
  const page = countOnly || q.count === 0 ? { matches: [], hasMore: true } : await ctx.store.search(q, { total: parsed.total === 'accurate' })
  const versions = page.matches.map((m) => m.version)
  // First pages count their matches in the same statement; later pages ask separately.
  let total = 'total' in page ? page.total : undefined
  if (total === undefined) {
    if (!q.cursor && !page.hasMore) total = versions.length // the whole result is on this page
    else if (countOnly || parsed.total === 'accurate') total = await ctx.store.count(q)
    else if (parsed.total === 'estimate') {
      // never below what this page already shows
      total = Math.max(await ctx.store.count(q, true), versions.length + (page.hasMore ? 1 : 0))
    }
  }
  const fetched = await fetchIncludes(ctx.store, versions, parsed.include, parsed.revinclude)
  const included = showIncluded ? fetched.filter(showIncluded) : fetched

  // nearest first: each match says how far it is (the R4 location-distance extension)
  const byDistance = q.sort[0]?.table === 'distance'
  const entry: object[] = [
    ...page.matches.map((m) => entryOf(m.version, 'match', ctx, byDistance ? distanceExtension(m.keys[0]) : undefined)),
    ...included.map((v) => entryOf(v, 'include', ctx)),
  ]
  if (parsed.ignored.length) {
    entry.push({
      resource: outcome(parsed.ignored.map((i) => issue('not-supported', `Search parameter "${i.name}" was not applied: ${i.reason}`, i.name, 'warning'))),
      search: { mode: 'outcome' },
    })
  }
  const url = (cursor?: string) => {
    const params = new URLSearchParams()
    for (const [k, vs] of Object.entries(links)) for (const v of vs) if (k !== '_cursor') params.append(k, v)
    if (cursor) params.set('_cursor', cursor)
    const qs = params.toString()
    return `${ctx.baseUrl}${path ? '/' + path : ''}${qs ? '?' + qs : ''}`
  }
  const link = [{ relation: 'self', url: url(req.query._cursor?.[0]) }]
  const first = page.matches[0]
  const last = page.matches[page.matches.length - 1]
  const backwards = q.cursor?.backwards ?? false
  if (last && (backwards || page.hasMore)) link.push({ relation: 'next', url: url(encodeCursor({ values: last.keys, backwards: false })) })
  if (first && q.cursor && (!backwards || page.hasMore)) {
    link.push({ relation: 'previous', url: url(encodeCursor({ values: first.keys, backwards: true })) })
  }
  if (q.cursor) link.push({ relation: 'first', url: url() })
  return {
    status: 200,
    body: { resourceType: 'Bundle', type: 'searchset', ...(total !== undefined ? { total } : {}), link, entry },
  }
}

function entryOf(v: StoredVersion, mode: 'match' | 'include', ctx: InteractionContext, extension?: object) {
  return { fullUrl: `${ctx.baseUrl}/${v.resourceType}/${v.id}`, resource: new RawJson(v.json!), search: { ...(extension ? { extension: [extension] } : {}), mode } }
}

function distanceExtension(km: string | null): object | undefined {
  const value = Number(km)
  if (km === null || !Number.isFinite(value)) return undefined
  return {
    url: 'http://hl7.org/fhir/StructureDefinition/location-distance',
    valueDistance: { value: Math.round(value * 1000) / 1000, unit: 'km', system: 'http://unitsofmeasure.org', code: 'km' },
  }
}
