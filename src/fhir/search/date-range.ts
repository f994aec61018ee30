// FHIR date, dateTime and instant values as half-open instant ranges [low, high): a value stands
// for the whole interval its precision implies (search.html#date: "2013-01" is all of January).
// Values without a time zone are taken as UTC.
import { badRequest } from '../../errors.js'

export interface InstantRange {
  low: string
  high: string
}

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/

/** The range a FHIR date/dateTime/instant denotes, as PostgreSQL timestamptz text; undefined if the text is not one. */
export function dateRange(text: string): InstantRange | undefined {
  const r = instantRange(text)
  return r && { low: pgInstant(r.low), high: pgInstant(r.high) }
}

/**
 * An instant as PostgreSQL reads it. Years outside 1-9999 (FHIR allows 0000; a range may end in
 * 10000) have no ISO text PostgreSQL accepts (JavaScript writes +010000-…), so they are written
 * as PostgreSQL writes them: year 0 as 1 BC, year 10000 with five digits.
 */
export function pgInstant(d: Date): string {
  const year = d.getUTCFullYear()
  if (year >= 1 && year <= 9999) return d.toISOString()
  const pad = (n: number, width = 2) => String(n).padStart(width, '0')
  const rest = `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+00`
  return year > 9999 ? `${year}-${rest}` : `${pad(1 - year, 4)}-${rest} BC`
}

/** The range a FHIR date/dateTime/instant denotes, as Dates. */
export function instantRange(text: string): { low: Date; high: Date } | undefined {
  const m = DATE.exec(text)
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, frac, tz] = m
  const year = Number(y)
  const month = mo ? Number(mo) - 1 : 0
  const day = d ? Number(d) : 1
  if (month < 0 || month > 11 || day < 1 || new Date(Date.UTC(2000, month, day)).getUTCDate() !== day) return undefined
  if (d && month === 1 && day === 29 && !isLeapYear(year)) return undefined
  const offsetMinutes = tz && tz !== 'Z' ? (tz[0] === '-' ? -1 : 1) * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) : 0
  const start = Date.UTC(year, month, day, h ? Number(h) : 0, mi ? Number(mi) : 0, s ? Number(s) : 0) - offsetMinutes * 60_000
  const fractionMs = frac ? Math.floor(Number(frac) * 1000) : 0
  const low = new Date(start + fractionMs)
  // Date.UTC maps years 0-99 to 1900-1999; FHIR years are literal.
  if (year < 100) low.setUTCFullYear(low.getUTCFullYear() - 1900)
  const high = new Date(low.getTime())
  if (!mo) high.setUTCFullYear(high.getUTCFullYear() + 1)
  else if (!d) high.setUTCMonth(high.getUTCMonth() + 1)
  else if (!h) high.setUTCDate(high.getUTCDate() + 1)
  else if (!s) high.setUTCMinutes(high.getUTCMinutes() + 1)
  else if (!frac) high.setUTCSeconds(high.getUTCSeconds() + 1)
  else high.setTime(high.getTime() + Math.max(1, 10 ** (3 - Math.min(3, frac.length - 1))))
  if (Number.isNaN(low.getTime()) || Number(h ?? 0) > 23 || Number(mi ?? 0) > 59 || Number(s ?? 0) > 60) return undefined
  return { low, high }
}

const isLeapYear = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0

export const OPEN_LOW = '-infinity'
export const OPEN_HIGH = 'infinity'

const INSTANT_PARAMETER = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/

/**
 * An instant parameter (history's _since and _at, $everything's _since) as PostgreSQL
 * timestamptz text; undefined when absent, 400 naming the parameter when it is not an instant.
 */
export function instantParameter(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined
  const range = INSTANT_PARAMETER.test(value) ? instantRange(value) : undefined
  if (!range) throw badRequest(`${name} must be an instant such as 2025-01-01T00:00:00Z, got ${JSON.stringify(value)}`, name)
  return pgInstant(range.low)
}
