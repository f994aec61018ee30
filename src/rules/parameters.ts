// The libraries' parameters as the engine takes them, the assessment date as a cql-execution
// DateTime. Kept apart from the contracts (eligibility.ts, risk-stratification.ts), which the
// server loads at start, because cql-execution loads only where CQL is evaluated.
import cql from 'cql-execution'
import type { EligibilityInput } from './eligibility.js'
import { thresholdParameters, type RiskThresholds } from './risk-stratification.js'

/** The eligibility library's parameters (CQL names) for an input. */
export function eligibilityParameters(input: EligibilityInput): Record<string, unknown> {
  const params: Record<string, unknown> = {
    'Assessment Date': cqlDateTime(input.assessmentDate),
    'Referral Id': input.referralId ?? null,
  }
  if (input.practiceOdsCodes) params['Eligible Practice ODS Codes'] = input.practiceOdsCodes
  return params
}

/** The risk library's parameters (CQL names); thresholds left out keep the library's defaults. */
export function riskParameters(assessmentDate: string | Date, thresholds: RiskThresholds = {}): Record<string, unknown> {
  const params: Record<string, unknown> = { 'Assessment Date': cqlDateTime(assessmentDate) }
  return { ...params, ...thresholdParameters(thresholds) }
}

/**
 * A FHIR dateTime or instant as a CQL DateTime, keeping its offset so that the date of the
 * assessment (and so an 18th birthday) is the date the referrer wrote. A Date (now) is taken
 * in Europe/London, where the service runs.
 */
export function cqlDateTime(value: string | Date): InstanceType<typeof cql.DateTime> {
  if (value instanceof Date) return cql.DateTime.fromJSDate(value, londonOffsetHours(value))
  // A date-only authoredOn is the start of that day (a full-precision bound, cql-spike.md §6.4).
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00.000Z` : value
  const parsed = cql.DateTime.parse(text)
  if (!parsed) throw new Error(`Not a FHIR dateTime: ${value}`)
  return parsed
}

function londonOffsetHours(at: Date): number {
  const name = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', timeZoneName: 'shortOffset' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName')?.value
  const m = /GMT([+-]\d+)?/.exec(name ?? '')
  return m?.[1] ? Number(m[1]) : 0
}
