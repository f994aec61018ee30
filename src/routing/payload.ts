// What a delivery sends: a transaction Bundle with the ServiceRequest (conditional create on its
// stable identifier, so a retried delivery never makes a duplicate), the minimum necessary
// Patient, and a Task owned by the receiver. References to CaseHub resources that are not sent
// are made absolute (when CaseHub's base URL is known) or reduced to their display.
import type { Bundle, Identifier, Patient, Resource, ServiceRequest, Task } from '@medplum/fhirtypes'

export const ONWARD_REFERRAL_ID = 'https://casehub.org/fhir/Id/onward-referral'
export const ONWARD_TASK_ID = 'https://casehub.org/fhir/Id/onward-task'
export const CASEHUB_PATIENT_ID = 'https://casehub.org/fhir/Id/patient'

export interface DeliveryContent {
  referral: ServiceRequest
  patient?: Patient
  /** CaseHub's tracking Task id (the receiver's Task carries it as an identifier) */
  taskId: string
  /** the receiving HealthcareService's name, owner of the receiver's Task */
  receiver?: string
  /** CaseHub's FHIR base, to make references to resources not sent absolute */
  baseUrl?: string
}

const criteria = (i: Identifier) => `identifier=${encodeURIComponent(i.system ?? '')}|${encodeURIComponent(i.value ?? '')}`

/** The stable identifier a referral is delivered under (its own one, or one made from its id). */
export function referralIdentifier(referral: ServiceRequest): Identifier {
  return referral.identifier?.find((i) => i.system === ONWARD_REFERRAL_ID && i.value) ?? { system: ONWARD_REFERRAL_ID, value: referral.id }
}

/** Patient reduced to id, identifier, name, birthDate and gender. */
export function minimumPatient(p: Patient): Patient & { identifier: Identifier[] } {
  const identifier = (p.identifier ?? []).filter((i) => i.system && i.value)
  return {
    resourceType: 'Patient',
    ...(p.id ? { id: p.id } : {}),
    identifier: identifier.length ? identifier : [{ system: CASEHUB_PATIENT_ID, value: p.id }],
    ...(p.name ? { name: p.name } : {}),
    ...(p.birthDate ? { birthDate: p.birthDate } : {}),
    ...(p.gender ? { gender: p.gender } : {}),
  }
}

/** Rewrites relative references (`Type/id`) that do not point at a resource in the Bundle. */
function rewriteReferences(value: unknown, local: Map<string, string>, baseUrl: string | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteReferences(v, local, baseUrl))
  if (!value || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = rewriteReferences(v, local, baseUrl)
  const ref = out.reference
  if (typeof ref === 'string' && /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(ref)) {
    if (local.has(ref)) out.reference = local.get(ref)
    else if (baseUrl) out.reference = `${baseUrl}/${ref}`
    else delete out.reference
  }
  return out
}

export function deliveryBundle(c: DeliveryContent): Bundle {
  const srUrl = `urn:uuid:${c.referral.id}`
  const patientUrl = c.patient ? `urn:uuid:${crypto.randomUUID()}` : undefined
  const local = new Map<string, string>([[`ServiceRequest/${c.referral.id}`, srUrl]])
  if (c.patient && patientUrl) local.set(`Patient/${c.patient.id}`, patientUrl)

  const identifier = referralIdentifier(c.referral)
  const { id: _id, meta: _meta, text: _text, ...referralBody } = c.referral
  const referral = rewriteReferences(
    { ...referralBody, identifier: [...(c.referral.identifier ?? []).filter((i) => i.system !== ONWARD_REFERRAL_ID), identifier] },
    local,
    c.baseUrl,
  ) as ServiceRequest

  const entries: NonNullable<Bundle['entry']> = []
  if (c.patient && patientUrl) {
    const { id: _pid, ...patient } = minimumPatient(c.patient)
    entries.push({ fullUrl: patientUrl, resource: patient, request: { method: 'POST', url: 'Patient', ifNoneExist: criteria(patient.identifier[0]) } })
  }
  entries.push({ fullUrl: srUrl, resource: referral, request: { method: 'POST', url: 'ServiceRequest', ifNoneExist: criteria(identifier) } })
  const taskIdentifier = { system: ONWARD_TASK_ID, value: c.taskId }
  const task: Task = {
    resourceType: 'Task',
    identifier: [taskIdentifier],
    status: 'requested',
    intent: 'order',
    ...(c.referral.priority ? { priority: c.referral.priority } : {}),
    code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
    focus: { reference: srUrl },
    ...(patientUrl ? { for: { reference: patientUrl } } : {}),
    authoredOn: new Date().toISOString(),
    owner: { display: c.receiver ?? 'Receiving service' },
  }
  entries.push({ fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource: task as Resource, request: { method: 'POST', url: 'Task', ifNoneExist: criteria(taskIdentifier) } })
  return { resourceType: 'Bundle', type: 'transaction', entry: entries }
}
