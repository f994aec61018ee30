// The eligibility library's contract: its url, its input, and how its results read as a
// decision ("Route", "Eligible") with its explanation ("Criteria", one entry per criterion define).
// Its parameters as the engine takes them are in parameters.ts (they need cql-execution).
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
