// The case management service's hours (seed 000: 08:00–16:00 Monday to Friday; "if the patient
// is acutely unwell, please contact the Community Crisis Response Team"), in Europe/London time,
// with bank holidays closed. Referrals outside them are still accepted and triaged; the referrer
// is told to use NHS 111 or 999 for anything urgent.
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

export interface ServiceHours {
  days: Set<number>
  /** minutes after midnight, local time */
  opens: number
  closes: number
  bankHolidays: Set<string>
  text: string
}

export const OUT_OF_HOURS_ADVICE =
  'Referral received outside the case management service hours; it will be triaged, but for anything urgent use NHS 111, or 999 in an emergency'

/** 'Mon-Fri 08:00-16:00' (as CASEHUB_SERVICE_HOURS is validated) */
export function parseServiceHours(text: string, bankHolidays: string[] = []): ServiceHours {
  const m = /^(\w{3})(?:-(\w{3}))? (\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(text)
  if (!m) throw new Error(`Service hours must look like 'Mon-Fri 08:00-16:00', got '${text}'`)
  const first = DAYS.indexOf(m[1])
  const last = m[2] ? DAYS.indexOf(m[2]) : first
  const days = new Set<number>()
  for (let d = first; ; d = (d + 1) % 7) {
    days.add(d)
    if (d === last) break
  }
  return { days, opens: Number(m[3]) * 60 + Number(m[4]), closes: Number(m[5]) * 60 + Number(m[6]), bankHolidays: new Set(bankHolidays), text }
}

const london = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  weekday: 'short',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})

/** Is the service open at `when`? Local Europe/London time, so GMT and BST are both right. */
export function isOpen(hours: ServiceHours, when: Date): boolean {
  const parts = Object.fromEntries(london.formatToParts(when).map((p) => [p.type, p.value]))
  const date = `${parts.year}-${parts.month}-${parts.day}`
  if (hours.bankHolidays.has(date) || !hours.days.has(DAYS.indexOf(parts.weekday))) return false
  const minutes = Number(parts.hour) * 60 + Number(parts.minute)
  return minutes >= hours.opens && minutes < hours.closes
}
