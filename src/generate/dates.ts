// Calendar arithmetic for the generator, on whole days and minutes since 1970-01-01 UTC.
// Times are printed as UK local time with their offset (+00:00 GMT, +01:00 BST), computed from
// fixed rules, never from the clock or the machine's time zone.

export const MINUTES_PER_DAY = 1440
const MS_PER_DAY = 86_400_000

/** Days since 1970-01-01 for a YYYY-MM-DD date; throws when it is not a real calendar date. */
export function parseDay(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (!m) throw new Error(`expected a date as YYYY-MM-DD, got ${JSON.stringify(text)}`)
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  if (formatDay(ms / MS_PER_DAY) !== text) throw new Error(`not a calendar date: ${text}`)
  return ms / MS_PER_DAY
}

export function formatDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10)
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7 // 1970-01-01 was a Thursday
}

export function isWeekend(day: number): boolean {
  const w = weekday(day)
  return w === 0 || w === 6
}

/** The next Monday-to-Friday day on or after `day`. */
export function nextWorkingDay(day: number): number {
  let d = day
  while (isWeekend(d)) d++
  return d
}

const bstCache = new Map<number, [number, number]>()

/** [start, end) of British Summer Time in `year`, in minutes since the epoch (01:00 UTC, last Sundays of March and October). */
function bst(year: number): [number, number] {
  let range = bstCache.get(year)
  if (!range) {
    const lastSunday = (month: number) => {
      const lastDay = Date.UTC(year, month + 1, 0) / MS_PER_DAY
      return lastDay - weekday(lastDay)
    }
    range = [lastSunday(2) * MINUTES_PER_DAY + 60, lastSunday(9) * MINUTES_PER_DAY + 60]
    bstCache.set(year, range)
  }
  return range
}

/** UK offset from UTC in minutes (0 or 60) at an instant given in minutes since the epoch. */
export function ukOffset(minute: number): number {
  const year = new Date(minute * 60_000).getUTCFullYear()
  const [start, end] = bst(year)
  return minute >= start && minute < end ? 60 : 0
}

/** The instant at which UK clocks show `localMinute` (minutes after midnight) on `day`. */
export function ukInstant(day: number, localMinute: number): number {
  const guess = day * MINUTES_PER_DAY + localMinute
  return guess - ukOffset(guess - 60)
}

/** FHIR dateTime/instant in UK local time, e.g. 2024-06-03T09:20:00+01:00. */
export function formatInstant(minute: number): string {
  const offset = ukOffset(minute)
  const local = new Date((minute + offset) * 60_000).toISOString().slice(0, 19)
  return `${local}${offset ? '+01:00' : '+00:00'}`
}
