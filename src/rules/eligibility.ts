// The eligibility library's contract: its url, its parameters, and how its results read as a
// decision ("Route", "Eligible") with its explanation ("Criteria", one entry per criterion define).
import cql from 'cql-execution'
import { CASEHUB_LIBRARY_BASE } from './library-source.js'
import type { CqlResults } from './evaluator.js'

export const ELIGIBILITY_LIBRARY = `${CASEHUB_LIBRARY_BASE}CaseHubEligibility`
/** The referral intake, whose `library` canonical says which eligibility version decides. */
export const INTAKE_PLAN_DEFINITION = 'https://casehub.org/fhir/PlanDefinition/casehub-intake'

export const ROUTES = ['case-management', 'crisis-response', 'data-required', 'not-eligible'] as const
export type Route = (typeof ROUTES)[number]

export interface Criterion {
  name: string
  kind: 'inclusion' | 'exclusion'
  /** undefined when the record cannot tell */
  met?: boolean
}

export interface EligibilityResult {
  eligible: boolean
  route: Route
  criteria: Criterion[]
  /** the library version that decided, as a canonical `url|version` */
  library?: string
}

export interface EligibilityInput {
  /** when the assessment is made: the referral's authoredOn, else now */
  assessmentDate: string | Date
  referralId?: string
  /** overrides the library's default list of the service's practices */
  practiceOdsCodes?: string[]
}

/** The library's parameters (CQL names) for an input. */
export function eligibilityParameters(input: EligibilityInput): Record<string, unknown> {
  const params: Record<string, unknown> = {
    'Assessment Date': cqlDateTime(input.assessmentDate),
    'Referral Id': input.referralId ?? null,
  }
  if (input.practiceOdsCodes) params['Eligible Practice ODS Codes'] = input.practiceOdsCodes
  return params
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

/** Reads the library's results; throws if they break the contract (a wrong Library version). */
export function eligibilityResult(results: CqlResults): EligibilityResult {
  const route = results['Route']
  if (!ROUTES.includes(route as Route)) throw new Error(`The eligibility library gave no valid Route (${String(route)})`)
  const list = results['Criteria']
  if (!Array.isArray(list)) throw new Error('The eligibility library gave no Criteria list')
  const criteria = list.map((c: { name?: unknown; kind?: unknown; met?: unknown }) => {
    if (typeof c?.name !== 'string' || (c.kind !== 'inclusion' && c.kind !== 'exclusion')) {
      throw new Error('Each of the eligibility library\'s Criteria needs a name and a kind (inclusion or exclusion)')
    }
    const out: Criterion = { name: c.name, kind: c.kind }
    if (typeof c.met === 'boolean') out.met = c.met
    return out
  })
  return { eligible: route === 'case-management', route: route as Route, criteria }
}
