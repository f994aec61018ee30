// CaseHub's named queries (search.html#query), defined by the OperationDefinitions in
// profiles/operation-definitions/:
// - Patient?_query=current-high-risk: assessed in the severe tier (or at high risk) recently;
// - Patient?_query=caseload: an active or on-hold EpisodeOfCare, its team and care manager
//   matched on that same episode.
import type { OperationDefinition } from '@medplum/fhirtypes'
import { readFileSync } from 'node:fs'
import { badRequest } from '../errors.js'
import { registerNamedQuery, type NamedQuery } from '../fhir/search/named-queries.js'
import { parseSearch } from '../fhir/search/parse.js'
import type { Condition } from '../store/search-types.js'

const DEFINITIONS = new URL('../../profiles/operation-definitions/', import.meta.url)
const definition = (code: string) =>
  JSON.parse(readFileSync(new URL(`OperationDefinition-${code}.json`, DEFINITIONS), 'utf8')) as NamedQuery['definition'] & OperationDefinition

/** The search a named query makes of another type, e.g. EpisodeOfCare?status=active. */
function conditionsOf(type: string, query: Record<string, string[]>, baseUrl: string): Condition {
  const parsed = parseSearch([type], query, baseUrl)
  if (parsed.ignored.length) throw new Error(`${type} has no search parameter ${parsed.ignored[0].name}`)
  return { kind: 'and', conditions: parsed.query.conditions }
}

const DATE = /^\d{4}(-\d{2}(-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?)?)?$/
/** One stratification cycle (seed 003: risk stratification every 3 months). */
const CYCLE_MONTHS = 3

function threeMonthsBefore(now: Date): string {
  const d = new Date(now)
  d.setUTCMonth(d.getUTCMonth() - CYCLE_MONTHS)
  return d.toISOString().slice(0, 10)
}

const currentHighRisk: NamedQuery = {
  resourceType: 'Patient',
  definition: definition('current-high-risk'),
  expand({ params, baseUrl, now }) {
    const since = params['assessed-since']?.[0]
    if (since !== undefined && !DATE.test(since)) throw badRequest(`assessed-since must be a date or dateTime, not "${since}"`, 'assessed-since')
    const assessment = conditionsOf('RiskAssessment', {
      status: ['final,amended,corrected'],
      risk: ['https://casehub.org/fhir/CodeSystem/risk-tier|severe,http://terminology.hl7.org/CodeSystem/risk-probability|high'],
      date: [`ge${since ?? threeMonthsBefore(now)}`],
    }, baseUrl)
    return { conditions: [{ kind: 'has', sourceType: 'RiskAssessment', param: 'subject', condition: assessment }], dependsOnNow: since === undefined }
  },
}

const caseload: NamedQuery = {
  resourceType: 'Patient',
  definition: definition('caseload'),
  expand({ params, baseUrl }) {
    const episode = conditionsOf('EpisodeOfCare', {
      status: ['active,onhold'],
      ...(params.team ? { organization: params.team } : {}),
      ...(params['care-manager'] ? { 'care-manager': params['care-manager'] } : {}),
    }, baseUrl)
    return { conditions: [{ kind: 'has', sourceType: 'EpisodeOfCare', param: 'patient', condition: episode }] }
  },
}

export function registerNamedQueries(): void {
  registerNamedQuery(currentHighRisk)
  registerNamedQuery(caseload)
}
