/**
 * FHIR date/dateTime/instant values: calendar validity ("Dates SHALL be valid
 * dates", R4 datatypes.html#date; the R4 regexes accept 1950-02-30), and
 * ordering for the invariants that compare them (per-1 on Period, mdd-1 on
 * MedicationDispense).
 *
 * @medplum/core's FHIRPath compares these values as text, which is wrong when
 * time zones differ ("10:00:00+02:00" is before "09:00:00Z") or when one value
 * has fractional seconds ("10:00:00Z" vs "10:00:00.5Z"). Here each value is
 * turned into the range of instants it may denote, and two values are only
 * "out of order" when that is certain.
 */

/** Largest time zone offset in FHIR (+14:00), used when a value has no time zone. */
const MAX_OFFSET_MS = 14 * 60 * 60 * 1000

const DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/

export interface InstantRange {
  /** Earliest instant the value may denote, in ms since the epoch. */
  earliest: number
  /** Latest instant the value may denote, in ms since the epoch. */
  latest: number
}

function offsetMs(zone: string): number {
  if (zone === 'Z') return 0
  const sign = zone.startsWith('-') ? -1 : 1
  const [hours, minutes] = zone.slice(1).split(':').map(Number)
  return sign * (hours * 60 + minutes) * 60 * 1000
}

/** The range of instants a date/dateTime/instant denotes, or undefined if it cannot be read. */
export function instantRange(value: unknown): InstantRange | undefined {
  if (typeof value !== 'string') return undefined
  const match = DATE_TIME.exec(value)
  if (!match) return undefined
  const [, y, mo, d, h, mi, s, frac, zone] = match
  const year = Number(y)
  const month = mo ? Number(mo) - 1 : undefined
  const day = d ? Number(d) : undefined
  if (h === undefined) {
    // A partial date covers a whole year, month or day, in an unknown time zone.
    const start = Date.UTC(year, month ?? 0, day ?? 1)
    const end =
      day !== undefined
        ? Date.UTC(year, month as number, day + 1)
        : month !== undefined
          ? Date.UTC(year, month + 1, 1)
          : Date.UTC(year + 1, 0, 1)
    return { earliest: start - MAX_OFFSET_MS, latest: end - 1 + MAX_OFFSET_MS }
  }
  const fraction = frac ? Number(`0.${frac}`) * 1000 : 0
  const local = Date.UTC(year, month as number, day as number, Number(h), Number(mi), s ? Number(s) : 0) + fraction
  // Without seconds the value covers a whole minute.
  const span = s === undefined ? 60 * 1000 - 1 : 0
  if (zone === undefined) {
    return { earliest: local - MAX_OFFSET_MS, latest: local + span + MAX_OFFSET_MS }
  }
  const instant = local - offsetMs(zone)
  return { earliest: instant, latest: instant + span }
}

/**
 * True only when `first` is certainly later than `second`. Values that cannot
 * be read are never reported as out of order (their format is checked
 * elsewhere).
 */
export function isCertainlyAfter(first: unknown, second: unknown): boolean {
  const a = instantRange(first)
  const b = instantRange(second)
  if (!a || !b) return false
  return a.earliest > b.latest
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/**
 * Why a date/dateTime/instant string names a day that does not exist (e.g.
 * '1950-02-30'), or undefined. Values that do not look like dates at all are
 * left to the format check.
 */
export function calendarProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(value)
  if (!match) return undefined
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined
  const last = daysInMonth(year, month)
  return day > last ? `${match[1]}-${match[2]} has only ${last} days` : undefined
}
