// Which HealthcareService is the Community Crisis Response Team (seed 000: "Acutely unwell
// patients … contact the Community Crisis Response Team"): an active HealthcareService held here
// whose type is service-type#crisis-response. Triage's crisis referral names it as performer, so
// the onward routing delivers it (issue 6: "created … by triage's crisis re-route"). The team is
// chosen as routing rules choose any onward service (routing-rules.ts coveringDestination): the
// first by id that covers the patient's practice and has an active, addressed Endpoint. When
// none does, the first active crisis-response service by id is named all the same, so the
// crisis referral still says who should see the patient.
import type { HealthcareService, Reference } from '@medplum/fhirtypes'
import { findResources } from '../fhir/search/find.js'
import type { ResourceStore } from '../store/types.js'
import { coveringDestination } from './routing-rules.js'

export const SERVICE_TYPE = 'https://casehub.org/fhir/CodeSystem/service-type'
const CRISIS = `${SERVICE_TYPE}|crisis-response`

const refTo = (id: string, service: HealthcareService): Reference<HealthcareService> => ({
  reference: `HealthcareService/${id}`,
  ...(service.name ? { display: service.name } : {}),
})

/** The crisis team for the patient `subject` (a Reference to a Patient), if any is held. */
export async function crisisTeam(store: ResourceStore, baseUrl: string, subject?: Reference): Promise<Reference<HealthcareService> | undefined> {
  const covering = await coveringDestination([CRISIS], subject, store)
  if (covering) return refTo(covering.service.id, covering.service)
  const [first] = await findResources<HealthcareService>(store, 'HealthcareService', { 'service-type': CRISIS, active: 'true', _sort: '_id' }, { baseUrl, limit: 1 })
  return first && refTo(first.id, first)
}
