// Search values by parameter type (search.html#ptypes): prefixes, precision ranges, token and
// reference forms. Malformed values are 400s naming the parameter.
import { badRequest } from '../../errors.js'
import type { Condition, Prefix, RangeValue, ReferenceMatch, TokenMatch } from '../../store/search-types.js'
import { instantRange, pgInstant } from './date-range.js'
import { referenceKey } from './references.js'

const PREFIXES = new Set(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'])

/** Splits on unescaped commas (OR) and unescapes \, \| \$ \\ (search.html#escaping). */
export function splitOr(value: string): string[] {
  const out: string[] = []
  let cur = ''
  for (let i = 0; i < value.length; i++) {
    const c = value[i]
    if (c === '\\' && i + 1 < value.length) {
      cur += c + value[++i]
    } else if (c === ',') {
      out.push(cur)
      cur = ''
    } else cur += c
  }
  out.push(cur)
  return out
}

export const unescapeValue = (s: string) => s.replace(/\\([\\,|$])/g, '$1')

/** Splits on unescaped '|' and unescapes each part. */
export function splitBar(raw: string): string[] {
  const parts: string[] = []
  let cur = ''
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\' && i + 1 < raw.length) {
      cur += raw[i] + raw[++i]
    } else if (raw[i] === '|') {
      parts.push(cur)
      cur = ''
    } else cur += raw[i]
  }
  parts.push(cur)
  return parts.map(unescapeValue)
}

function splitPrefix(raw: string): { prefix: Prefix; rest: string } {
  const head = raw.slice(0, 2)
  if (PREFIXES.has(head) && raw.length > 2 && !/^[a-z]/.test(raw.slice(2))) return { prefix: head as Prefix, rest: raw.slice(2) }
  return { prefix: 'eq', rest: raw }
}

/** token: [system]|[code], code, system|, |code (search.html#token) */
export function tokenValue(raw: string, param: string): TokenMatch {
  const parts = splitBar(raw)
  if (parts.length === 1) {
    if (parts[0] === '') throw badRequest(`Empty token value for ${param}`, param)
    return { code: parts[0] }
  }
  if (parts.length !== 2) throw badRequest(`Invalid token value for ${param}: ${JSON.stringify(raw)} (expected [system]|[code])`, param)
  const [system, code] = parts
  if (system === '' && code === '') throw badRequest(`Empty token value for ${param}`, param)
  return { system: system === '' ? null : system, code: code === '' ? undefined : code }
}

export function dateValue(raw: string, param: string): RangeValue {
  const { prefix, rest } = splitPrefix(raw)
  const range = instantRange(rest)
  if (!range) {
    throw badRequest(
      `Invalid date for ${param}: ${JSON.stringify(raw)} (expected [prefix]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]], prefixes eq ne gt lt ge le sa eb ap)`,
      param,
    )
  }
  if (prefix !== 'ap') return { prefix, low: pgInstant(range.low), high: pgInstant(range.high) }
  // ap: "approximately", here within 10% of the distance between the value and now
  const slack = Math.abs(Date.now() - range.low.getTime()) * 0.1
  return { prefix, low: pgInstant(new Date(range.low.getTime() - slack)), high: pgInstant(new Date(range.high.getTime() + slack)) }
}

const NUMBER = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/

/** A number with the range its significant figures imply: 100 is [99.5, 100.5) (search.html#number). */
export function numberValue(raw: string, param: string): RangeValue {
  const { prefix, rest } = splitPrefix(raw)
  const m = NUMBER.exec(rest)
  if (!m) throw badRequest(`Invalid number for ${param}: ${JSON.stringify(raw)}`, param)
  const value = Number(rest)
  const decimals = m[3]?.length ?? 0
  const exponent = m[4] ? Number(m[4]) : 0
  // search.html#number: 100 is [99.5, 100.5); in exponent form the spec's example takes 1e2 as
  // [95, 105), one figure finer than written, and so does this.
  let half = 0.5 * 10 ** (exponent - decimals - (m[4] ? 1 : 0))
  if (prefix === 'ap') half = Math.max(half, Math.abs(value) * 0.1)
  const exact = m[4] ? String(value) : rest.replace(/^\+/, '')
  return { prefix, low: String(value - half), high: String(value + half), exact }
}

export function quantityValue(raw: string, param: string) {
  const parts = splitBar(raw)
  if (parts.length !== 1 && parts.length !== 3) {
    throw badRequest(`Invalid quantity for ${param}: ${JSON.stringify(raw)} (expected [prefix]number[|system|code])`, param)
  }
  const n = numberValue(parts[0], param)
  return { ...n, system: parts[1] || undefined, code: parts[2] || undefined }
}

/** reference: [type]/[id], [id], an absolute URL, or a canonical URL[|version]. */
export function referenceValue(raw: string, baseUrl: string, typeModifier: string | undefined, param: string): ReferenceMatch {
  const value = unescapeValue(raw)
  if (value === '') throw badRequest(`Empty reference value for ${param}`, param)
  if (typeModifier) {
    if (value.includes('/')) {
      const key = referenceKey(value, baseUrl)
      if (key?.type !== typeModifier) throw badRequest(`${param}:${typeModifier} value must be an id of a ${typeModifier}`, param)
      return { type: key.type, id: key.id! }
    }
    return { type: typeModifier, id: value }
  }
  if (!value.includes('/') && !value.includes(':')) return { id: value }
  const key = referenceKey(value, baseUrl)
  if (!key) throw badRequest(`Invalid reference value for ${param}: ${JSON.stringify(raw)}`, param)
  if (key.url === null) return { type: key.type!, id: key.id! }
  return { url: key.version ? `${key.url}|${key.version}` : key.url }
}

/** Whether a condition's dates widen with the clock (ap on a date, dateValue above), so that its
 *  matches can change with time alone. (_filter's po shares the ap form: counted too.) */
export function dependsOnNow(c: Condition): boolean {
  switch (c.kind) {
    case 'date':
    case 'lastUpdated':
      return c.values.some((v) => v.prefix === 'ap')
    case 'chain':
      return c.targets.some((t) => dependsOnNow(t.condition))
    case 'has':
    case 'not':
      return dependsOnNow(c.condition)
    case 'or':
    case 'and':
      return c.conditions.some(dependsOnNow)
    case 'composite':
      return c.values.some((components) => components.some(dependsOnNow))
    default:
      return false
  }
}
