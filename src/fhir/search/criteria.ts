// Parses search parameters into store filters (search.html). This is the subset the core
// server needs for conditional operations and simple lookups: _id, identifier, _lastUpdated.
import type { Filter, TokenValue } from '../../store/types.js'
import { badRequest } from '../../errors.js'

/** Parameters that shape the result rather than filter it (search.html#2.21.1.1). */
export const RESULT_PARAMETERS = new Set([
  '_count', '_offset', '_sort', '_summary', '_elements', '_total', '_include', '_revinclude',
  '_contained', '_containedType', '_format', '_pretty',
])

export interface ParsedCriteria {
  filters: Filter[]
  /** names the server could not apply (reported as warnings, or a 400 under handling=strict) */
  unsupported: string[]
}

/** Splits on unescaped commas and unescapes \, \| \$ \\ (search.html#escaping). */
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

const unescape = (s: string) => s.replace(/\\([\\,|$])/g, '$1')

/** token: [system]|[code], code, system|, |code (search.html#token) */
export function parseToken(raw: string): TokenValue {
  let bar = -1
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\') i++
    else if (raw[i] === '|') {
      bar = i
      break
    }
  }
  if (bar < 0) return { code: unescape(raw) }
  const system = unescape(raw.slice(0, bar))
  const code = unescape(raw.slice(bar + 1))
  return { system: system === '' ? null : system, code: code === '' ? undefined : code }
}

const LAST_UPDATED = /^(gt|ge|lt|le)?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))$/

export function parseCriteria(query: Record<string, string[]>): ParsedCriteria {
  const filters: Filter[] = []
  const unsupported: string[] = []
  for (const [name, values] of Object.entries(query)) {
    if (RESULT_PARAMETERS.has(name)) continue
    for (const value of values) {
      if (name === '_id') {
        filters.push({ kind: 'id', values: splitOr(value).map(unescape) })
      } else if (name === 'identifier') {
        const tokens = splitOr(value).map(parseToken)
        if (tokens.some((t) => t.code === undefined && !t.system)) {
          throw badRequest(`Invalid token value for identifier: ${JSON.stringify(value)}`, `identifier`)
        }
        filters.push({ kind: 'identifier', values: tokens })
      } else if (name === '_lastUpdated') {
        const m = LAST_UPDATED.exec(value)
        if (!m) {
          throw badRequest(
            `_lastUpdated must be a prefix (gt, ge, lt, le) and a full instant such as ge2025-01-01T00:00:00Z, got ${JSON.stringify(value)}`,
          )
        }
        filters.push({ kind: 'lastUpdated', op: (m[1] ?? 'ge') as 'gt', value: m[2] })
      } else {
        unsupported.push(name)
      }
    }
  }
  return { filters, unsupported }
}

/** Query-string text → parameter map ('identifier=a|b&_id=1'). */
export function parseQueryString(qs: string): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [k, v] of new URLSearchParams(qs)) (out[k] ??= []).push(v)
  return out
}

/** A stable key for the same criteria written in any order. */
export function criteriaKey(query: Record<string, string[]>): string {
  return Object.entries(query)
    .flatMap(([k, vs]) => vs.map((v) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .sort()
    .join('&')
}
