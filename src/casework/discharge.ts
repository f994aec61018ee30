// Transition out (DESIGN.md step 6; issue 6 "finishing an EpisodeOfCare sends the GP practice a
// Communication (discharge summary) through the same routing"). When an update moves an
// EpisodeOfCare to `finished`, in that update's transaction CaseHub
//  - finds the GP practice: the patient's registered practice (Patient.generalPractitioner, an
//    Organization or a PractitionerRole's organization), else whoever referred the patient (the
//    requester of the episode's referralRequest);
//  - creates a Communication (status in-progress): subject the patient, about the episode and
//    its care plans, recipient the practice, sender the managing organization, category
//    discharge summary, payload a text summary (discharge-summary.ts);
//  - enqueues its delivery to the practice's Endpoint (Organization.endpoint, active, with an
//    address) in the outbox, so the Communication and its delivery commit with the episode or
//    not at all. discharge-delivery.ts sends it and marks it completed.
// Without such an Endpoint the Communication stays in-progress with a note saying why it was not
// sent, for the team to send another way; nothing is enqueued.
import type { Communication, EpisodeOfCare, Organization, Patient, PractitionerRole, Reference, ServiceRequest, Endpoint } from '@medplum/fhirtypes'
import { randomUUID } from 'node:crypto'
import type { InteractionContext } from '../fhir/types.js'
import type { WriteHook } from '../fhir/write-hooks.js'
import { createVersion } from '../fhir/write.js'
import { enqueueMessage } from '../routing/enqueue-message.js'
import type { ResourceStore } from '../store/types.js'
import { episodeContent, readJson, summaryText } from './discharge-summary.js'
import { localId } from './local-id.js'

export const DISCHARGE_KIND = 'discharge-communication'
/** The stable identifier a discharge Communication is delivered under (conditional create at the GP system). */
export const DISCHARGE_ID = 'https://casehub.org/fhir/Id/discharge-communication'
/** SNOMED CT 373942005 |Discharge summary (record artifact)|, with the R4 communication-category "notification". */
export const DISCHARGE_CATEGORY: Communication['category'] = [
  { coding: [{ system: 'http://snomed.info/sct', code: '373942005', display: 'Discharge summary' }], text: 'Discharge summary' },
  { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/communication-category', code: 'notification', display: 'Notification' }] },
]

type Practice = Organization & { id: string }

async function organizationOf(store: ResourceStore, reference: string | undefined, depth = 0): Promise<Practice | undefined> {
  const orgId = localId('Organization', reference)
  if (orgId) return readJson<Practice>(store, 'Organization', orgId)
  const roleId = localId('PractitionerRole', reference)
  if (!roleId || depth > 0) return undefined
  const role = await readJson<PractitionerRole>(store, 'PractitionerRole', roleId)
  return organizationOf(store, role?.organization?.reference, depth + 1)
}

/** The patient's GP practice, else the organization that referred them into this episode. */
export async function gpPractice(store: ResourceStore, patient: Patient | undefined, episode: EpisodeOfCare): Promise<Practice | undefined> {
  for (const gp of patient?.generalPractitioner ?? []) {
    const org = await organizationOf(store, gp.reference)
    if (org) return org
  }
  for (const ref of episode.referralRequest ?? []) {
    const referral = await readJson<ServiceRequest>(store, 'ServiceRequest', localId('ServiceRequest', ref.reference))
    const org = await organizationOf(store, referral?.requester?.reference)
    if (org) return org
  }
  return undefined
}

/** The practice's first active Endpoint with an address. */
export async function practiceEndpoint(store: ResourceStore, practice: Practice | undefined): Promise<(Endpoint & { id: string }) | undefined> {
  for (const ref of practice?.endpoint ?? []) {
    const endpoint = await readJson<Endpoint & { id: string }>(store, 'Endpoint', localId('Endpoint', ref.reference))
    if (endpoint?.status === 'active' && endpoint.address) return endpoint
  }
  return undefined
}

const refTo = (type: string, r: { id?: string; name?: string }): Reference => ({ reference: `${type}/${r.id}`, ...(r.name ? { display: r.name } : {}) })

async function sendDischarge(episode: EpisodeOfCare, ctx: InteractionContext): Promise<void> {
  const store = ctx.store
  const patientId = localId('Patient', episode.patient?.reference)
  const patient = await readJson<Patient>(store, 'Patient', patientId)
  const practice = await gpPractice(store, patient, episode)
  const endpoint = await practiceEndpoint(store, practice)
  const content = await episodeContent(episode, ctx)
  const team = episode.managingOrganization?.display ?? (await readJson<Organization>(store, 'Organization', localId('Organization', episode.managingOrganization?.reference)))?.name
  const id = randomUUID()
  const now = new Date().toISOString()
  const why = !practice
    ? 'Not sent: no GP practice is known for this patient (Patient.generalPractitioner, or the referral requester).'
    : !endpoint
      ? `Not sent: the GP practice ${practice.name ?? `Organization/${practice.id}`} has no active Endpoint with an address.`
      : undefined
  const communication: Communication = {
    resourceType: 'Communication',
    identifier: [{ system: DISCHARGE_ID, value: id }],
    status: 'in-progress',
    category: DISCHARGE_CATEGORY,
    priority: 'routine',
    subject: episode.patient,
    about: [refTo('EpisodeOfCare', episode), ...content.plans.map((p) => refTo('CarePlan', { id: p.id, name: p.title }))],
    ...(practice ? { recipient: [refTo('Organization', practice) as Reference<Organization>] } : {}),
    ...(episode.managingOrganization ? { sender: episode.managingOrganization } : {}),
    payload: [{ contentString: summaryText(episode, patient, content, team) }],
    ...(why ? { note: [{ time: now, text: why }] } : {}),
  }
  await createVersion(ctx, store, communication, { id })
  if (!endpoint) return
  await enqueueMessage(store, { kind: DISCHARGE_KIND, endpointId: endpoint.id, payload: { type: 'Communication', id } })
}

/** The write hook app.ts registers for EpisodeOfCare: an update that moves it to finished. */
export const dischargeSummary: WriteHook = {
  name: 'discharge-summary',
  async updated(resource, previous, ctx) {
    const episode = resource as EpisodeOfCare
    if (episode.status !== 'finished' || !previous || (previous as EpisodeOfCare).status === 'finished') return
    await sendDischarge(episode, ctx)
  },
}
