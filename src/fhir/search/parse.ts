// Search parameters of a request → the store's conditions (search.html). Handles modifiers,
// chains (subject:Patient.name=x), reverse chains (_has:Observation:patient:code=x), _filter, _sort,
// _include/_revinclude, _total and the paging cursor. Unknown parameters are collected, not
// thrown: the caller warns about them or, under Prefer: handling=strict, refuses the search.
import { getSearchParameterDetails } from '@medplum/core'
import { badRequest } from '../../errors.js'
import type { Condition, Cursor, SearchQuery, SortKey } from '../../store/search-types.js'
import { pageParams } from '../paging.js'
import { isResourceType } from '../validation/index.js'
import { ID_PATTERN } from '../validation/preflight.js'
import { filterCondition } from './filter-criteria.js'
import { missingCondition, TABLE_OF } from './missing.js'
import { foldText, stringKey } from './normalize.js'
import { nearCondition } from './near.js'
import { searchParam, type SearchParam } from './parameters.js'
import { dateValue, numberValue, quantityValue, referenceValue, splitBar, splitOr, tokenValue, unescapeValue } from './values.js'

/** Parameters that shape the result rather than filter it (search.html#2.21.1.1). */
export const RESULT_PARAMETERS = new Set([
  '_count', '_sort', '_summary', '_elements', '_total', '_include', '_revinclude', '_contained', '_containedType',
  '_format', '_pretty', '_cursor', '_include:iterate', '_revinclude:iterate', '_include:recurse', '_revinclude:recurse', '_type',
])

export interface IncludeSpec {
  /** undefined: any type (`_include=*`) */
  sourceType?: string
  /** `*`: every reference parameter */
  param: string
  targetType?: string
  iterate: boolean
}

export interface ParsedSearch {
  query: SearchQuery
  total: 'none' | 'estimate' | 'accurate'
  include: IncludeSpec[]
  revinclude: IncludeSpec[]
  /** parameters that were not applied, with why */
  ignored: { name: string; reason: string }[]
  /** the parameters that were applied, for the self link */
  applied: Record<string, string[]>
}

class Unknown extends Error {}

export interface ParseOptions {
  /** a search across types (system, compartment `*`), where `_type` chooses them */
  multiType?: boolean
}

export function parseSearch(types: string[], query: Record<string, string[]>, baseUrl: string, opts: ParseOptions = {}): ParsedSearch {
  const conditions: Condition[] = []
  const ignored: ParsedSearch['ignored'] = []
  const applied: Record<string, string[]> = {}
  for (const [key, values] of Object.entries(query)) {
    if (RESULT_PARAMETERS.has(key)) {
      const unapplied = notApplied(key, values, query, types, opts)
      if (unapplied) ignored.push({ name: key, reason: unapplied })
      else if (key !== '_cursor') applied[key] = values
      continue
    }
    try {
      // With several types (system search) the parameter must mean the same on each.
      for (const value of values) conditions.push(types.map((t) => parseKey(t, key, value, baseUrl))[0])
      applied[key] = values
    } catch (err) {
      if (err instanceof Unknown) ignored.push({ name: key, reason: err.message })
      else throw err
    }
  }
  const sort = parseSort(types, query._sort?.[0])
  // Location?near without _sort: nearest first (the distance is given in each entry's search.extension)
  const near = conditions.find((c) => c.kind === 'near')
  if (sort.length === 0 && near?.kind === 'near') sort.push({ table: 'distance', descending: false, points: near.points })
  const { count } = pageParams(query)
  // the self link names what was applied (search.html#self): a _count above the cap as capped
  if (applied._count) applied._count = [String(count)]
  return {
    query: { types, conditions, sort, count, cursor: parseCursor(query._cursor?.[0], sort) },
    total: parseTotal(query._total?.[0]),
    include: parseIncludes(query, '_include'),
    revinclude: parseIncludes(query, '_revinclude'),
    ignored,
    applied,
  }
}

/**
 * Why a result parameter is not applied, if it is not: contained resources are not searched
 * (search.html#contained; `_contained=false` is the default), and `_type` only chooses among the
 * types of a search across types.
 */
function notApplied(key: string, values: string[], query: Record<string, string[]>, types: string[], opts: ParseOptions): string | undefined {
  if (key === '_contained' && values.some((v) => v !== 'false')) return 'searching contained resources (_contained=true|both) is not supported'
  if (key === '_containedType' && (values.some((v) => v !== 'container') || (query._contained ?? []).some((v) => v !== 'false'))) {
    return '_containedType applies to searches of contained resources, which are not supported'
  }
  if (key === '_type' && !opts.multiType) {
    const named = values.flatMap((v) => v.split(','))
    if (named.some((t) => t !== types[0])) return `_type chooses types in a search across types (GET [base]?_type=…, [Compartment]/[id]/*); this search is of ${types[0]}`
  }
  return undefined
}

/** One query parameter (name[:modifier], a chain, or _has) with one value (OR by commas). */
function parseKey(type: string, key: string, value: string, baseUrl: string): Condition {
  if (key.startsWith('_has:')) return parseHas(type, key, value, baseUrl)
  const dot = key.indexOf('.')
  if (dot > 0) return parseChain(type, key.slice(0, dot), key.slice(dot + 1), value, baseUrl)
  const colon = key.indexOf(':')
  const code = colon < 0 ? key : key.slice(0, colon)
  const modifier = colon < 0 ? undefined : key.slice(colon + 1)
  if (code === '_text' || code === '_content' || code === '_list') return resourceCondition(code, modifier, value, key)
  if (code === '_filter') {
    if (modifier) throw badRequest(`Unsupported modifier :${modifier} on _filter`, key)
    return filterCondition(type, value, baseUrl)
  }
  const param = searchParam(type, code)
  if (!param) throw new Unknown(`${type} has no search parameter "${code}"`)
  return valueCondition(param, modifier, value, baseUrl, key)
}

/** The parameters of every resource that the index tables do not hold (search.html#text, #list). */
function resourceCondition(code: '_text' | '_content' | '_list', modifier: string | undefined, value: string, key: string): Condition {
  if (modifier) throw badRequest(`Unsupported modifier :${modifier} on ${code}`, key)
  if (code === '_list') {
    const ids = splitOr(value).map(unescapeValue)
    // functional lists ($current-problems …) are named in search.html but not kept by CaseHub
    const functional = ids.find((id) => id.startsWith('$'))
    if (functional) throw new Unknown(`the functional list ${functional} is not supported`)
    if (ids.some((id) => !ID_PATTERN.test(id))) throw badRequest(`${key} must name List ids`, key)
    return { kind: 'has', sourceType: 'List', param: 'item', condition: { kind: 'id', ids } }
  }
  if (!value.trim()) throw badRequest(`${key} needs words to search for`, key)
  return { kind: 'text', scope: code === '_text' ? 'narrative' : 'content', query: value }
}

function parseChain(type: string, head: string, rest: string, value: string, baseUrl: string): Condition {
  const [code, typeModifier] = head.split(':')
  const param = searchParam(type, code)
  if (!param) throw new Unknown(`${type} has no search parameter "${code}"`)
  if (param.type !== 'reference') throw badRequest(`Cannot chain through ${code}: it is not a reference parameter`, head)
  if (typeModifier && !isResourceType(typeModifier)) throw badRequest(`Unknown resource type in chain: ${typeModifier}`, head)
  const candidates = typeModifier ? [typeModifier] : param.targets
  const nextCode = rest.split(/[.:]/)[0]
  const targets = candidates
    .filter((t) => nextCode.startsWith('_has') || searchParam(t, nextCode))
    .map((t) => ({ type: t, condition: parseKey(t, rest, value, baseUrl) }))
  if (targets.length === 0) throw new Unknown(`None of the types ${code} refers to has a search parameter "${nextCode}"`)
  return { kind: 'chain', param: code, targets }
}

function parseHas(type: string, key: string, value: string, baseUrl: string): Condition {
  // _has:Observation:patient:code=x — Observations whose patient is this resource and whose code is x
  const parts = key.split(':')
  const [, sourceType, refCode] = parts
  const rest = parts.slice(3).join(':')
  if (!sourceType || !refCode || !rest) throw badRequest(`Invalid _has parameter "${key}" (expected _has:Type:reference:parameter)`, key)
  if (!isResourceType(sourceType)) throw badRequest(`Unknown resource type in _has: ${sourceType}`, key)
  const ref = searchParam(sourceType, refCode)
  if (!ref || ref.type !== 'reference') throw badRequest(`${sourceType} has no reference search parameter "${refCode}"`, key)
  if (ref.targets.length && !ref.targets.includes(type)) {
    throw badRequest(`${sourceType}.${refCode} cannot refer to a ${type}`, key)
  }
  return { kind: 'has', sourceType, param: refCode, condition: parseKey(sourceType, rest, value, baseUrl) }
}

const MODIFIERS: Record<string, Set<string>> = {
  string: new Set(['exact', 'contains', 'missing']),
  token: new Set(['not', 'text', 'of-type', 'in', 'not-in', 'below', 'above', 'missing']),
  date: new Set(['missing']),
  number: new Set(['missing']),
  quantity: new Set(['missing']),
  reference: new Set(['identifier', 'missing']),
  uri: new Set(['below', 'above', 'missing']),
}

function valueCondition(param: SearchParam, modifier: string | undefined, raw: string, baseUrl: string, key: string): Condition {
  const { code } = param
  const ors = splitOr(raw)
  if (code === '_id') {
    // _id is a token (Resource-id): :not, and :missing, which every resource answers alike
    if (modifier === 'missing') {
      if (raw !== 'true' && raw !== 'false') throw badRequest(`${key} must be true or false`, key)
      const none: Condition = { kind: 'id', ids: [] }
      return raw === 'true' ? none : { kind: 'not', condition: none }
    }
    if (modifier && modifier !== 'not') throw badRequest(`Unsupported modifier :${modifier} on _id (:not and :missing are)`, key)
    const ids: Condition = { kind: 'id', ids: ors.map(unescapeValue) }
    return modifier === 'not' ? { kind: 'not', condition: ids } : ids
  }
  if (code === '_lastUpdated') {
    if (modifier) throw badRequest(`Unsupported modifier :${modifier} on _lastUpdated`, key)
    return { kind: 'lastUpdated', values: ors.map((v) => dateValue(v, code)) }
  }
  if (param.type === 'composite') return compositeCondition(param, modifier, ors, baseUrl, key)
  if (param.type === 'special' && code === 'near') {
    if (modifier) throw badRequest(`Unsupported modifier :${modifier} on near`, key)
    return nearCondition(raw, key)
  }
  const table = TABLE_OF[param.type]
  if (!table) throw new Unknown(`${param.type} search parameter "${code}" is not supported`)
  const isTypeModifier = param.type === 'reference' && modifier !== undefined && isResourceType(modifier)
  if (modifier !== undefined && !isTypeModifier && !MODIFIERS[param.type]?.has(modifier)) {
    throw badRequest(`Unknown or unsupported modifier :${modifier} for ${param.type} parameter ${code}`, key)
  }
  if (modifier === 'missing') {
    if (raw !== 'true' && raw !== 'false') throw badRequest(`${key} must be true or false`, key)
    return missingCondition(param, raw === 'true')!
  }
  switch (param.type) {
    case 'string': {
      const mode = modifier === 'exact' ? 'exact' : modifier === 'contains' ? 'contains' : 'start'
      const values = ors.map(unescapeValue).map((v) => (mode === 'exact' ? v : mode === 'start' ? stringKey(v) : foldText(v)))
      return { kind: 'string', param: code, mode, values }
    }
    case 'token':
      if (modifier === 'in' || modifier === 'not-in') {
        return { kind: 'tokenIn', param: code, valueSets: ors.map(unescapeValue), not: modifier === 'not-in' }
      }
      if (modifier === 'below' || modifier === 'above') {
        // search.html#modifiers: subsumption, answered from the code systems this server holds
        const codes = ors.map((v) => {
          const parts = splitBar(v)
          if (parts.length !== 2 || !parts[0] || !parts[1]) throw badRequest(`${key} needs system|code, got ${JSON.stringify(v)}`, key)
          return { system: parts[0], code: parts[1] }
        })
        return { kind: 'tokenIn', param: code, valueSets: [], not: false, hierarchy: { direction: modifier, codes } }
      }
      if (modifier === 'text') return { kind: 'tokenText', param: code, values: ors.map((v) => foldText(unescapeValue(v))) }
      if (modifier === 'of-type') {
        const values = ors.map((v) => {
          const parts = splitBar(v)
          if (parts.length !== 3 || !parts[1] || !parts[2]) {
            throw badRequest(`${key} needs system|code|value, got ${JSON.stringify(v)}`, key)
          }
          return { system: parts[0] || null, code: `${parts[1]}|${parts[2]}` }
        })
        return { kind: 'token', param: `${code}:of-type`, values }
      }
      return { kind: 'token', param: code, values: ors.map((v) => tokenValue(v, code)), not: modifier === 'not' }
    case 'date':
      return { kind: 'date', param: code, values: ors.map((v) => dateValue(v, code)) }
    case 'number':
      return { kind: 'number', param: code, values: ors.map((v) => numberValue(v, code)) }
    case 'quantity':
      return { kind: 'quantity', param: code, values: ors.map((v) => quantityValue(v, code)) }
    case 'reference':
      if (modifier === 'identifier') return { kind: 'token', param: `${code}:identifier`, values: ors.map((v) => tokenValue(v, key)) }
      return { kind: 'reference', param: code, values: ors.map((v) => referenceValue(v, baseUrl, isTypeModifier ? modifier : undefined, code)) }
    case 'uri': {
      const mode = modifier === 'below' ? 'below' : modifier === 'above' ? 'above' : 'eq'
      return { kind: 'uri', param: code, mode, values: ors.map(unescapeValue) }
    }
  }
  throw new Unknown(`${param.type} search parameter "${code}" is not supported`)
}

/** composite: components joined by $ (search.html#composite), e.g. code-value-quantity=8480-6$gt100 */
function compositeCondition(param: SearchParam, modifier: string | undefined, ors: string[], baseUrl: string, key: string): Condition {
  const components = param.components
  if (!components) throw new Unknown(`composite search parameter "${param.code}" is not supported`)
  if (modifier === 'missing') throw badRequest(`:missing is not supported on composite parameter ${param.code}`, key)
  if (modifier !== undefined) throw badRequest(`Composite parameter ${param.code} takes no modifier`, key)
  const values = ors.map((value) => {
    const parts = splitDollar(value)
    if (parts.length !== components.length) {
      throw badRequest(`${param.code} needs ${components.length} components separated by $, got ${JSON.stringify(value)}`, key)
    }
    return parts.map((part, i) =>
      valueCondition({ ...param, code: `${param.code}$${i}`, type: components[i].type, components: undefined }, undefined, part, baseUrl, key),
    )
  })
  return { kind: 'composite', values }
}

/** Splits on unescaped '$', keeping escapes for the component parsers. */
function splitDollar(value: string): string[] {
  const parts: string[] = []
  let cur = ''
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\' && i + 1 < value.length) cur += value[i] + value[++i]
    else if (value[i] === '$') {
      parts.push(cur)
      cur = ''
    } else cur += value[i]
  }
  parts.push(cur)
  return parts
}

function parseSort(types: string[], raw: string | undefined): SortKey[] {
  if (!raw) return []
  return raw.split(',').map((item) => {
    const descending = item.startsWith('-')
    const code = descending ? item.slice(1) : item
    if (code === '_id') return { table: 'id', descending }
    if (code === '_lastUpdated') return { table: 'lastUpdated', descending }
    const param = types.length === 1 ? searchParam(types[0], code) : undefined
    const table = param && TABLE_OF[param.type]
    if (!param || !table) throw badRequest(`Cannot sort ${types.join(',')} by "${code}"`, '_sort')
    return { table, param: code, descending, single: singleDate(types[0], param) }
  })
}

/** A date parameter on one non-repeating date, dateTime, instant or Period: one index row at most. */
function singleDate(type: string, param: SearchParam): boolean {
  if (param.type !== 'date' || !param.url.startsWith('http://hl7.org/fhir/')) return false
  try {
    const details = getSearchParameterDetails(type, param.definition)
    return !details.array && !(details.elementDefinitions ?? []).some((e) => e.type?.some((t) => t.code === 'Timing'))
  } catch {
    return false
  }
}

function parseTotal(raw: string | undefined): ParsedSearch['total'] {
  if (raw === undefined) return 'accurate'
  if (raw === 'none' || raw === 'estimate' || raw === 'accurate') return raw
  throw badRequest(`_total must be none, estimate or accurate, got ${JSON.stringify(raw)}`, '_total')
}

function parseIncludes(query: Record<string, string[]>, name: '_include' | '_revinclude'): IncludeSpec[] {
  const specs: IncludeSpec[] = []
  const add = (values: string[] | undefined, iterate: boolean) => {
    for (const value of values ?? []) {
      // search.html#include: "*" for the parameter name means every reference parameter; "*"
      // alone, every reference of every type
      const [sourceType, param, targetType] = value === '*' ? [undefined, '*'] : value.split(':')
      // the spec warns that wildcards with :iterate are prone to loops; here they would walk the database
      if (param === '*' && iterate) throw badRequest(`${name}:iterate does not take the wildcard * (name the parameters to follow)`, `${name}:iterate`)
      if (value === '*') {
        specs.push({ param: '*', iterate })
        continue
      }
      if (!sourceType || !param || !isResourceType(sourceType) || (targetType && !isResourceType(targetType))) {
        throw badRequest(`${name} must be SourceType:parameter[:TargetType] or *, got ${JSON.stringify(value)}`, name)
      }
      if (param !== '*' && searchParam(sourceType, param)?.type !== 'reference') {
        throw badRequest(`${sourceType} has no reference search parameter "${param}" for ${name}`, name)
      }
      specs.push({ sourceType, param, targetType, iterate })
    }
  }
  add(query[name], false)
  add(query[`${name}:iterate`], true)
  add(query[`${name}:recurse`], true)
  return specs
}

/** Cursors are opaque to clients: base64url JSON of the sort key values after which to go on. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ v: cursor.values, b: cursor.backwards ? 1 : 0 })).toString('base64url')
}

/** What a cursor value of each sort key must look like (it is cast in SQL: timestamptz, numeric, float8). */
const TIMESTAMP = /^(-?infinity|\d{4,6}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d(:?\d\d(:?\d\d)?)?)?( BC)?)$/
const NUMBER = /^(-?Infinity|-?\d+(\.\d+)?(e[+-]?\d+)?)$/i
function castable(k: SortKey | undefined, v: string | null): boolean {
  if (v === null || k === undefined) return true // the tie-breaking type and id keys are text
  if (k.table === 'date' || k.table === 'lastUpdated') return TIMESTAMP.test(v)
  if (k.table === 'number' || k.table === 'quantity') return NUMBER.test(v) && !/^-?nan$/i.test(v)
  if (k.table === 'distance') return v === 'Infinity' || (NUMBER.test(v) && Number.isFinite(Number(v)))
  return true
}

function parseCursor(raw: string | undefined, sort: SortKey[]): Cursor | undefined {
  if (raw === undefined) return undefined
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'))
    const values = parsed.v
    if (
      Array.isArray(values) && values.length === sort.length + 2 &&
      values.every((v, i) => (v === null || typeof v === 'string') && castable(sort[i], v))
    ) {
      return { values, backwards: parsed.b === 1 }
    }
  } catch {
    // fall through
  }
  throw badRequest('_cursor is not a cursor this search produced (use the Bundle links as given)', '_cursor')
}
