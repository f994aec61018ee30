// Delivering a discharge Communication to the GP practice's Endpoint (outbox kind
// discharge-communication). It goes as a transaction Bundle, like an onward referral, rather
// than a plain POST of the Communication: the Communication is a conditional create on its
// stable identifier (http.html#ccreate), so a retried delivery — after a timeout whose answer
// was lost, or a worker that died after sending — never files the summary twice at the
// practice; and the minimum necessary Patient travels with it (also a conditional create, on
// the NHS number), so the practice can match it to its record. References to CaseHub resources
// that are not sent are made absolute (or, with no known base URL, reduced to their display).
// Delivered → the Communication is completed, with `sent`; dead-lettered → not-done, with the
// reason in statusReason and a note.
import type { Bundle, BundleEntry, Communication, Endpoint, Patient, Resource } from '@medplum/fhirtypes'
import type { InteractionContext } from '../fhir/types.js'
import { nextVersion } from '../fhir/write.js'
import { deliver, type DeliveryResult } from '../routing/delivery.js'
import { endpointHeaders } from '../routing/endpoint-auth.js'
import type { AttemptOptions, DeliveryKind, KindRow } from '../routing/kinds.js'
import { minimumPatient } from '../routing/payload.js'
import type { ResourceStore } from '../store/types.js'
import { DISCHARGE_ID } from './discharge.js'
import { readJson } from './discharge-summary.js'
import { localId } from './local-id.js'

const criteria = (system: string | undefined, value: string | undefined) => `identifier=${encodeURIComponent(system ?? '')}|${encodeURIComponent(value ?? '')}`

function rewrite(value: unknown, local: Map<string, string>, baseUrl: string | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, local, baseUrl))
  if (!value || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = rewrite(v, local, baseUrl)
  if (typeof out.reference === 'string' && /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(out.reference)) {
    if (local.has(out.reference)) out.reference = local.get(out.reference)
    else if (baseUrl) out.reference = `${baseUrl}/${out.reference}`
    else delete out.reference
  }
  return out
}

export function dischargeBundle(communication: Communication & { id: string }, patient: (Patient & { id: string }) | undefined, baseUrl: string | undefined): Bundle {
  const entries: BundleEntry[] = []
  const local = new Map<string, string>()
  if (patient) {
    const url = `urn:uuid:${crypto.randomUUID()}`
    local.set(`Patient/${patient.id}`, url)
    const { id: _id, ...minimum } = minimumPatient(patient)
    entries.push({ fullUrl: url, resource: minimum, request: { method: 'POST', url: 'Patient', ifNoneExist: criteria(minimum.identifier[0].system, minimum.identifier[0].value) } })
  }
  const identifier = communication.identifier?.find((i) => i.system === DISCHARGE_ID) ?? { system: DISCHARGE_ID, value: communication.id }
  const { id: _id, meta: _meta, text: _text, ...body } = communication
  const sent: Communication = { ...(rewrite(body, local, baseUrl) as Communication), status: 'completed', sent: new Date().toISOString() }
  entries.push({ fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource: sent as Resource, request: { method: 'POST', url: 'Communication', ifNoneExist: criteria(identifier.system, identifier.value) } })
  return { resourceType: 'Bundle', type: 'transaction', entry: entries }
}

async function attempt(row: KindRow, store: ResourceStore, options: AttemptOptions): Promise<DeliveryResult> {
  const endpoint = await readJson<Endpoint>(store, 'Endpoint', row.endpoint_id ?? undefined)
  if (!endpoint?.address || endpoint.status !== 'active') return { kind: 'retry', error: `Endpoint/${row.endpoint_id} is not active or has no address` }
  const communication = await readJson<Communication & { id: string }>(store, 'Communication', row.payload_id)
  if (!communication) return { kind: 'dead', error: `Communication/${row.payload_id} is no longer held here` }
  const patient = await readJson<Patient & { id: string }>(store, 'Patient', localId('Patient', communication.subject?.reference))
  const auth = endpointHeaders(endpoint, options.secrets ?? {})
  if ('error' in auth) return { kind: 'dead', error: auth.error }
  return deliver(endpoint.address, dischargeBundle(communication, patient, options.baseUrl), { timeoutMs: options.timeoutMs, headers: auth.headers })
}

async function mark(tx: ResourceStore, row: KindRow, baseUrl: string | undefined, change: (c: Communication) => Communication | undefined) {
  const current = await tx.readForUpdate('Communication', row.payload_id)
  if (!current || current.deleted || !current.json) return
  const { meta: _meta, ...communication } = JSON.parse(current.json) as Communication
  const next = change(communication as Communication)
  if (!next) return
  const ctx: InteractionContext = { store: tx, baseUrl: baseUrl ?? '', referencePolicy: 'lenient' }
  await nextVersion(ctx, tx, current, next, 'PUT')
}

export const dischargeDelivery: DeliveryKind = {
  attempt,
  delivered: (tx, row, baseUrl) =>
    mark(tx, row, baseUrl, (c) => {
      if (!['in-progress', 'not-done'].includes(c.status)) return undefined
      const { statusReason: _reason, ...rest } = c
      return { ...rest, status: 'completed', sent: new Date().toISOString() }
    }),
  dead: (tx, row, error, _outcome, baseUrl) =>
    mark(tx, row, baseUrl, (c) => {
      if (c.status !== 'in-progress') return undefined
      const reason = `Not delivered to the GP practice (Endpoint/${row.endpoint_id}): ${error}`.slice(0, 1000)
      return { ...c, status: 'not-done', statusReason: { text: reason }, note: [...(c.note ?? []), { time: new Date().toISOString(), text: reason }] }
    }),
}
