// Which HealthcareService is the Community Crisis Response Team (seed 000: "Acutely unwell
// patients … contact the Community Crisis Response Team"): an active HealthcareService held here
// whose type is service-type#crisis-response. Triage's crisis referral names it as performer, so
// the onward routing delivers it (issue 6: "created … by triage's crisis re-route"). With several,
// the first by id is taken; choosing by the patient's practice or neighbourhood
// (HealthcareService.coverageArea) is routing-rules work not done yet.
import type { HealthcareService, Reference } from '@medplum/fhirtypes'
import { parseSearch } from '../fhir/search/parse.js'
import type { ResourceStore } from '../store/types.js'

export const SERVICE_TYPE = 'https://casehub.org/fhir/CodeSystem/service-type'

export async function crisisTeam(store: ResourceStore, baseUrl: string): Promise<Reference<HealthcareService> | undefined> {
  const { query } = parseSearch(
    ['HealthcareService'],
    { 'service-type': [`${SERVICE_TYPE}|crisis-response`], active: ['true'], _sort: ['_id'], _count: ['1'] },
    baseUrl,
  )
  const [match] = (await store.search(query)).matches
  if (!match?.version.json) return undefined
  const service = JSON.parse(match.version.json) as HealthcareService
  return { reference: `HealthcareService/${match.version.id}`, ...(service.name ? { display: service.name } : {}) }
}
