// Computes a resource's search index rows: every search parameter of its type, evaluated with
// @medplum/core's FHIRPath (or the plain-JSON fast path), each value reduced to what its
// parameter type compares (search.html#ptypes). Composite parameters index each component as
// a row of its own type, tagged with the element it came from; special ones are not indexed.
import { evalFhirPathTyped, toTypedValue, type TypedValue } from '@medplum/core'
import type { Resource } from '@medplum/fhirtypes'
import type { SearchIndexRows } from '../../store/types.js'
import { tooLong } from '../../errors.js'
import { dateRange, OPEN_HIGH, OPEN_LOW } from './date-range.js'
import { foldText, stringKey } from './normalize.js'
import { searchParamsFor, TABLE_PARAMS, type SearchParam } from './parameters.js'
import { referenceKey } from './references.js'
import { NEAR_LATITUDE, NEAR_LONGITUDE } from './near.js'
import { compileFastPath, splitUnion, type FastPath } from './fast-path.js'

type Json = Record<string, any>

export function extractIndex(resource: Resource, baseUrl: string): SearchIndexRows {
  const rows: SearchIndexRows = { strings: [], tokens: [], dates: [], numbers: [], quantities: [], references: [], uris: [] }
  let typed: TypedValue[] | undefined
  const input = () => (typed ??= [toTypedValue(resource)])
  for (const param of searchParamsFor(resource.resourceType).values()) {
    if (!param.parsed || TABLE_PARAMS.has(param.code)) continue
    if (param.type === 'special') {
      if (param.code === 'near') addPosition(rows, resource as Json)
      continue
    }
    let values: TypedValue[]
    try {
      values = param.fast ? param.fast(resource as unknown as Record<string, unknown>) : evalFhirPathTyped(param.parsed, input())
    } catch {
      continue // an expression that cannot apply to this instance indexes nothing
    }
    if (param.type === 'composite') addComposite(rows, param, values, input, baseUrl)
    else for (const tv of values) addValue(rows, param, tv, baseUrl)
  }
  checkKeySizes(rows, resource.resourceType)
  return dedupe(rows)
}

/** Bytes a value may take in an index entry (a PostgreSQL btree entry holds at most ~2.7 kB). */
const MAX_KEY_BYTES = 2400

/**
 * Codes, systems, URIs and reference URLs are compared whole, so one too long to index is
 * refused (400) rather than cut; strings are cut to their first characters (stringKey).
 */
function checkKeySizes(rows: SearchIndexRows, type: string) {
  const check = (param: string, ...parts: unknown[]) => {
    let bytes = 0
    for (const part of parts) if (typeof part === 'string') bytes += Buffer.byteLength(part)
    if (bytes > MAX_KEY_BYTES) {
      throw tooLong(`A value of the ${type} search parameter "${param.split('$')[0]}" is ${bytes} bytes long; codes, systems, URIs and references of up to ${MAX_KEY_BYTES} bytes can be indexed`, type)
    }
  }
  for (const [param, system, code] of rows.tokens) check(param, system, code)
  for (const [param, targetType, targetId, url] of rows.references) {
    check(param, targetType, targetId)
    check(param, url)
  }
  for (const [param, value] of rows.uris) check(param, value)
  for (const [param, , code] of rows.quantities) check(param, code)
}

/** Location.position for `near` (search.html#special): latitude and longitude as number rows. */
function addPosition(rows: SearchIndexRows, resource: Json) {
  const { latitude, longitude } = (resource.position ?? {}) as { latitude?: unknown; longitude?: unknown }
  if (typeof latitude !== 'number' || typeof longitude !== 'number') return
  rows.numbers.push([NEAR_LATITUDE, String(latitude), String(latitude)], [NEAR_LONGITUDE, String(longitude), String(longitude)])
}

const emptyRows = (): SearchIndexRows => ({ strings: [], tokens: [], dates: [], numbers: [], quantities: [], references: [], uris: [] })

/** Each element's component values, as rows 'code$N' sharing the element's tuple number. */
function addComposite(rows: SearchIndexRows, param: SearchParam, elements: TypedValue[], resource: () => TypedValue[], baseUrl: string) {
  if (!param.components) return
  let tuple = 0
  for (const element of elements) {
    // A tuple matches only if every component has a value, so elements missing one add no rows.
    const parts = param.components.map((component, i) => {
      const part = emptyRows()
      for (const tv of componentValues(component.expression, element, resource)) {
        addValue(part, { code: `${param.code}$${i}`, type: component.type }, tv, baseUrl)
      }
      for (const row of part.tokens) row[3] = null // composites have no :text
      return part
    })
    if (parts.some((part) => Object.values(part).every((list) => list.length === 0))) continue
    tuple++
    for (const part of parts) {
      for (const key of Object.keys(part) as (keyof SearchIndexRows)[]) {
        for (const row of part[key]) (rows[key] as unknown[][]).push([...row, tuple])
      }
    }
  }
}

const componentPaths = new Map<string, FastPath | null>()

function componentValues(expression: string, element: TypedValue, resource: () => TypedValue[]): TypedValue[] {
  const key = `${element.type}|${expression}`
  let fast = componentPaths.get(key)
  if (fast === undefined) {
    const absolute = splitUnion(expression).map((m) => `${element.type}.${m}`).join(' | ')
    fast = compileFastPath(absolute, element.type) ?? null
    componentPaths.set(key, fast)
  }
  if (fast) return fast(element.value)
  try {
    return evalFhirPathTyped(expression, [element], { '%resource': resource()[0] })
  } catch {
    return []
  }
}

function addValue(rows: SearchIndexRows, param: Pick<SearchParam, 'code' | 'type'>, tv: TypedValue, baseUrl: string) {
  const { code } = param
  const v = tv.value as any
  if (v === undefined || v === null) return
  switch (param.type) {
    case 'string':
      for (const s of stringsOf(tv.type, v)) rows.strings.push([code, stringKey(s), s])
      return
    case 'token':
      return addTokens(rows, code, tv.type, v)
    case 'date':
      return addDates(rows, code, tv.type, v)
    case 'number': {
      const r = numberRange(tv.type, v)
      if (r) rows.numbers.push([code, r[0], r[1]])
      return
    }
    case 'quantity':
      return addQuantity(rows, code, tv.type, v)
    case 'reference':
      return addReference(rows, code, tv.type, v, baseUrl)
    case 'uri':
      if (typeof v === 'string') rows.uris.push([code, v])
      return
  }
}

function stringsOf(type: string, v: any): string[] {
  if (typeof v === 'string') return [v]
  if (typeof v !== 'object') return [String(v)]
  if (type === 'HumanName') return [v.text, v.family, ...(v.given ?? []), ...(v.prefix ?? []), ...(v.suffix ?? [])].filter(isText)
  if (type === 'Address') {
    return [v.text, ...(v.line ?? []), v.city, v.district, v.state, v.postalCode, v.country].filter(isText)
  }
  return []
}

const isText = (s: unknown): s is string => typeof s === 'string' && s.length > 0

function addTokens(rows: SearchIndexRows, code: string, type: string, v: any) {
  const push = (system: unknown, value: unknown, text?: unknown) =>
    rows.tokens.push([code, isText(system) ? system : null, isText(value) ? value : null, isText(text) ? foldText(text) : null])
  switch (type) {
    case 'Coding':
      return push(v.system, v.code, v.display)
    case 'CodeableConcept': {
      // :text searches CodeableConcept.text and Coding.display, so each coding row carries both;
      // a concept with text only gets a row of its own.
      const codings = (v.coding ?? []) as Json[]
      for (const c of codings) push(c.system, c.code, [v.text, c.display].filter(isText).join(' '))
      if (codings.length === 0 && isText(v.text)) push(null, null, v.text)
      return
    }
    case 'Identifier':
      push(v.system, v.value, v.type?.text)
      // :of-type (search.html#token): identifier type coding and value, kept as "typecode|value"
      for (const c of (v.type?.coding ?? []) as Json[]) {
        if (isText(c.code) && isText(v.value)) rows.tokens.push([`${code}:of-type`, isText(c.system) ? c.system : null, `${c.code}|${v.value}`, null])
      }
      return
    case 'ContactPoint':
      return push(null, v.value)
    case 'boolean':
      return push(null, String(v))
    default:
      if (typeof v === 'string' || typeof v === 'number') push(null, String(v))
  }
}

function addDates(rows: SearchIndexRows, code: string, type: string, v: any) {
  if (typeof v === 'string') {
    const r = dateRange(v)
    if (r) rows.dates.push([code, r.low, r.high])
    return
  }
  if (type === 'Period') {
    const start = isText(v.start) ? dateRange(v.start)?.low : undefined
    const end = isText(v.end) ? dateRange(v.end)?.high : undefined
    if (start || end) rows.dates.push([code, start ?? OPEN_LOW, end ?? OPEN_HIGH])
    return
  }
  if (type === 'Timing') {
    for (const e of (v.event ?? []) as string[]) addDates(rows, code, 'dateTime', e)
    const bounds = v.repeat?.boundsPeriod
    if (bounds) addDates(rows, code, 'Period', bounds)
  }
}

function numberRange(type: string, v: any): [string, string] | undefined {
  if (typeof v === 'number') return [String(v), String(v)]
  if (type === 'Range') {
    const low = v.low?.value
    const high = v.high?.value
    if (low === undefined && high === undefined) return undefined
    return [low === undefined ? '-Infinity' : String(low), high === undefined ? 'Infinity' : String(high)]
  }
  return undefined
}

const QUANTITY_TYPES = new Set(['Quantity', 'SimpleQuantity', 'Age', 'Duration', 'Distance', 'Count', 'MoneyQuantity'])

function addQuantity(rows: SearchIndexRows, code: string, type: string, v: any) {
  if (QUANTITY_TYPES.has(type) && typeof v.value === 'number') {
    rows.quantities.push([code, v.system ?? null, v.code ?? v.unit ?? null, String(v.value), String(v.value)])
    // search.html#quantity: "5.4||mg" matches the coded unit or the stated human one; the stated
    // unit gets a row without a system, so "system|code" still matches the coded unit only
    if (typeof v.unit === 'string' && v.unit !== '' && v.code !== undefined && v.unit !== v.code) {
      rows.quantities.push([code, null, v.unit, String(v.value), String(v.value)])
    }
  } else if (type === 'Money' && typeof v.value === 'number') {
    rows.quantities.push([code, 'urn:iso:std:iso:4217', v.currency ?? null, String(v.value), String(v.value)])
  } else if (type === 'Range') {
    const r = numberRange(type, v)
    const unit = v.low ?? v.high ?? {}
    if (r) rows.quantities.push([code, unit.system ?? null, unit.code ?? unit.unit ?? null, r[0], r[1]])
  } else if (typeof v === 'number') {
    rows.quantities.push([code, null, null, String(v), String(v)])
  }
}

function addReference(rows: SearchIndexRows, code: string, type: string, v: any, baseUrl: string) {
  if (typeof v === 'string') {
    // canonical or uri elements searched as references
    addReferenceKey(rows, code, referenceKey(v, baseUrl))
    return
  }
  if (type !== 'Reference' || typeof v !== 'object') return
  if (isText(v.reference)) {
    addReferenceKey(rows, code, referenceKey(v.reference, baseUrl))
  }
  // :identifier (search.html#reference): logical references by identifier
  if (v.identifier) rows.tokens.push([`${code}:identifier`, v.identifier.system ?? null, v.identifier.value ?? null, null])
}

/** A versioned canonical is found both by its URL and by URL|version. */
function addReferenceKey(rows: SearchIndexRows, code: string, key: ReturnType<typeof referenceKey>) {
  if (!key) return
  rows.references.push([code, key.type, key.id, key.url])
  if (key.version) rows.references.push([code, null, null, `${key.url}|${key.version}`])
}

function dedupe(rows: SearchIndexRows): SearchIndexRows {
  const unique = <T extends unknown[]>(list: T[]): T[] => {
    if (list.length < 2) return list
    const seen = new Set<string>()
    return list.filter((r) => {
      const k = r.join('\u0001')
      if (seen.has(k)) return false
      seen.add(k)
      return true
    })
  }
  return {
    strings: unique(rows.strings),
    tokens: unique(rows.tokens),
    dates: unique(rows.dates),
    numbers: unique(rows.numbers),
    quantities: unique(rows.quantities),
    references: unique(rows.references),
    uris: unique(rows.uris),
  }
}
