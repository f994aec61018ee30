// Routing rules (issue 6): an onward referral that names no performer is routed by its code and
// the patient's practice. The code maps to a service type through the ConceptMap
// `onward-referral-routing` (data in terminology/, so a site changes its rules by publishing a
// new version); the candidates are the active HealthcareServices of that type with an active,
// addressed Endpoint. A service covers the patient's practice when one of its coverageArea
// Locations contains (Location.partOf, any depth) a Location the practice manages (its site);
// when the practice's sites are not known, any candidate covers it. The first covering service
// by id is chosen, so the choice is repeatable. Triage's crisis re-route chooses its service the
// same way (coveringDestination, crisis-team.ts).
import type { CodeableConcept, ConceptMap, HealthcareService, Location, Patient, Reference, ServiceRequest } from '@medplum/fhirtypes'
import { findResources } from '../fhir/search/find.js'
import type { ResourceStore } from '../store/types.js'
import { carriesMeaning, translate } from '../terminology/translate.js'
import { localId } from './local-id.js'
import { destinationOf, type Destination } from './onward.js'

export const ROUTING_MAP_URL = 'https://casehub.org/fhir/ConceptMap/onward-referral-routing'
const REFERRAL_PROFILE = 'https://casehub.org/fhir/StructureDefinition/casehub-referral'
const MAX_DEPTH = 8

/** The service types the referral's codes map to, as system|code. */
export async function serviceTypesFor(referral: ServiceRequest, store: ResourceStore): Promise<string[]> {
  const maps = await findResources<ConceptMap>(store, 'ConceptMap', { url: ROUTING_MAP_URL }, { count: 200 })
  // the newest version of the rules
  const map = maps.sort((a, b) => (b.version ?? '').localeCompare(a.version ?? '', undefined, { numeric: true }))[0]
  const codings = (referral.code?.coding ?? []).filter((c) => c.system && c.code)
  const out = new Set<string>()
  for (const m of map ? translate([map], { codings, reverse: false }) : []) {
    if (carriesMeaning(m)) out.add(`${m.concept!.system}|${m.concept!.code}`)
  }
  return [...out]
}

/** The Locations the patient's GP practices manage, with every area containing them. */
async function practiceAreas(subject: Reference | undefined, store: ResourceStore): Promise<Set<string> | undefined> {
  const patientId = localId('Patient', subject?.reference)
  const stored = patientId ? await store.read('Patient', patientId) : undefined
  if (!stored?.json || stored.deleted) return undefined
  const patient = JSON.parse(stored.json) as Patient
  const areas = new Set<string>()
  for (const gp of patient.generalPractitioner ?? []) {
    const practice = localId('Organization', gp.reference)
    if (!practice) continue
    for (const site of await findResources<Location>(store, 'Location', { organization: `Organization/${practice}` }, { count: 200 })) {
      let current: Location | undefined = site
      for (let depth = 0; current?.id && depth < MAX_DEPTH && !areas.has(current.id); depth++) {
        areas.add(current.id)
        const parent = localId('Location', current.partOf?.reference)
        const read = parent ? await store.read('Location', parent) : undefined
        current = read?.json && !read.deleted ? (JSON.parse(read.json) as Location) : undefined
      }
    }
  }
  return areas.size ? areas : undefined
}

/** Whether a request naming these performers with this code is an onward referral: to a
 *  HealthcareService here, or, naming no one, with a code the routing rules map. */
export async function isOnwardReferral(performer: Reference[] | undefined, code: CodeableConcept | undefined, store: ResourceStore): Promise<boolean> {
  if (!code) return false
  if (performer?.length) return performer.some((p) => localId('HealthcareService', p.reference))
  return (await serviceTypesFor({ resourceType: 'ServiceRequest', status: 'active', intent: 'order', code } as ServiceRequest, store)).length > 0
}

/** The destination the rules choose for a referral without a performer, if any. */
export async function routeByRules(referral: ServiceRequest, store: ResourceStore): Promise<Destination | undefined> {
  if (referral.status !== 'active' || referral.intent !== 'order' || referral.performer?.length) return undefined
  // a referral into case management is triaged by intake, not passed on
  if (referral.meta?.profile?.some((p) => p.split('|')[0] === REFERRAL_PROFILE)) return undefined
  return coveringDestination(await serviceTypesFor(referral, store), referral.subject, store)
}

/** The first active service by id of one of `types` (system|code) that covers the practice of
 *  the patient `subject` and has an active, addressed Endpoint. */
export async function coveringDestination(types: string[], subject: Reference | undefined, store: ResourceStore): Promise<Destination | undefined> {
  if (!types.length) return undefined
  const candidates = new Map<string, HealthcareService>()
  for (const type of types) {
    for (const service of await findResources<HealthcareService>(store, 'HealthcareService', { 'service-type': type, active: 'true' }, { count: 200 })) candidates.set(service.id!, service)
  }
  const areas = await practiceAreas(subject, store)
  const covering = [...candidates.values()]
    .filter((s) => !areas || (s.coverageArea ?? []).some((a) => areas.has(localId('Location', a.reference) ?? '')))
    .sort((a, b) => a.id!.localeCompare(b.id!))
  for (const service of covering) {
    const probe: ServiceRequest = { resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: subject as ServiceRequest['subject'], performer: [{ reference: `HealthcareService/${service.id}` }] }
    const destination = await destinationOf(probe, store)
    if (destination) return destination
  }
  return undefined
}
