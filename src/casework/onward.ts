// Onward referral (issue 6 "Trigger"): a ServiceRequest created active (or made active later),
// intent order, whose performer is a HealthcareService held here with an active Endpoint that
// has an address, is routed there. In the write's own transaction CaseHub creates its tracking Task (requested;
// focus = the ServiceRequest, owner = the HealthcareService) and enqueues the delivery in the
// outbox, so the referral, the Task and the delivery commit together or not at all.
// Without a performer, routing rules may choose the service (routing-rules.ts).
import type { Endpoint, HealthcareService, Parameters, Reference, Resource, ServiceRequest, Task } from '@medplum/fhirtypes'
import { randomUUID } from 'node:crypto'
import type { InteractionContext } from '../fhir/types.js'
import type { WriteHook } from '../fhir/write-hooks.js'
import { registerOperation } from '../fhir/operations/registry.js'
import { createVersion, nextVersion } from '../fhir/write.js'
import { DEFAULT_MAX_ATTEMPTS, enqueue } from '../routing/enqueue.js'
import { ONWARD_REFERRAL_KIND } from '../routing/kinds.js'
import { sqlOf } from '../routing/sql.js'
import { schedulePoll } from '../routing/status-poll.js'
import { outboxStatus } from '../routing/status.js'
import type { Tracker } from '../routing/worker.js'
import type { ResourceStore } from '../store/types.js'
import { localId } from './local-id.js'
import { raiseDeadLetter } from './dead-letters.js'
import { routeByRules } from './routing-rules.js'

export const TASK_CODE = 'http://hl7.org/fhir/CodeSystem/task-code'

export interface Destination {
  service: HealthcareService & { id: string }
  endpoint: Endpoint & { id: string }
}


async function readJson<T extends Resource>(store: ResourceStore, type: string, id: string | undefined): Promise<T | undefined> {
  if (!id) return undefined
  const stored = await store.read(type, id)
  return stored && !stored.deleted && stored.json ? (JSON.parse(stored.json) as T) : undefined
}

/** The first performer that is a HealthcareService here with an active, addressed Endpoint. */
export async function destinationOf(referral: ServiceRequest, store: ResourceStore): Promise<Destination | undefined> {
  if (referral.status !== 'active' || referral.intent !== 'order') return undefined
  for (const performer of referral.performer ?? []) {
    const service = await readJson<HealthcareService>(store, 'HealthcareService', localId('HealthcareService', performer.reference))
    if (!service || service.active === false) continue
    for (const ref of service.endpoint ?? []) {
      const endpoint = await readJson<Endpoint>(store, 'Endpoint', localId('Endpoint', ref.reference))
      if (endpoint?.status === 'active' && endpoint.address) {
        return { service: service as Destination['service'], endpoint: endpoint as Destination['endpoint'] }
      }
    }
  }
  return undefined
}

export function trackingTask(referral: ServiceRequest, service: Destination['service']): Task {
  const owner: Reference = { reference: `HealthcareService/${service.id}`, ...(service.name ? { display: service.name } : {}) }
  return {
    resourceType: 'Task',
    status: 'requested',
    intent: 'order',
    priority: referral.priority,
    code: { coding: [{ system: TASK_CODE, code: 'fulfill', display: 'Fulfill the focal request' }] },
    description: 'Onward referral delivery',
    focus: { reference: `ServiceRequest/${referral.id}` },
    ...(referral.subject ? { for: referral.subject } : {}),
    authoredOn: new Date().toISOString(),
    ...(referral.requester ? { requester: referral.requester } : {}),
    owner: owner as Task['owner'],
  }
}

/** The write hook app.ts registers for ServiceRequest; a delivery is dead-lettered after `maxAttempts` (CASEHUB_OUTBOX_MAX_ATTEMPTS). */
export function onwardReferralHook(maxAttempts = DEFAULT_MAX_ATTEMPTS): WriteHook {
  return {
    name: 'onward-referral',
    created: (resource, ctx) => route(resource as ServiceRequest, ctx, maxAttempts),
    // A request written first as a draft (or on hold) is routed when it becomes active, once:
    // one that was ever enqueued is not sent again.
    async updated(resource, previous, ctx) {
      const referral = resource as ServiceRequest
      if (referral.status !== 'active' || referral.intent !== 'order') return
      const before = previous as ServiceRequest | undefined
      if (before?.status === 'active' && before.intent === 'order') return
      // only its own delivery counts: Subscription notifications about it are outbox rows too
      const { rowCount } = await sqlOf(ctx.store).query(
        `SELECT 1 FROM outbox WHERE payload_type = 'ServiceRequest' AND payload_id = $1 AND kind = $2 LIMIT 1`,
        [referral.id, ONWARD_REFERRAL_KIND],
      )
      if (!rowCount) await route(referral, ctx, maxAttempts)
    },
  }
}

/** Routes `referral` when it has a destination: its tracking Task and its delivery, in the write's transaction. */
async function route(referral: ServiceRequest, ctx: InteractionContext, maxAttempts: number): Promise<void> {
  const destination = (await destinationOf(referral, ctx.store)) ?? (await routeByRules(referral, ctx.store))
  if (!destination) return
  const taskId = randomUUID()
  await createVersion(ctx, ctx.store, trackingTask(referral, destination.service), { id: taskId })
  await enqueue(ctx.store, {
    endpointId: destination.endpoint.id,
    serviceId: destination.service.id,
    payload: { type: 'ServiceRequest', id: referral.id! },
    taskId,
    maxAttempts,
  })
}

export const onwardReferral: WriteHook = onwardReferralHook()

/**
 * The tracking Task follows the delivery (task.html state machine): requested → received once
 * the receiver holds the referral; failed when the delivery is dead-lettered, with the
 * receiver's OperationOutcome contained and referenced from Task.output, and raised with the
 * case management team by a Task of its own (dead-letters.ts). A Task the receiver or a person
 * has moved on already is left alone. With statusPollMs, the receiver's copy of the Task (the
 * location its answer gave) is polled from then on (routing/status-poll.ts).
 */
export function onwardTracker(baseUrl: string, opts: { statusPollMs?: number } = {}): Tracker {
  return async (tx, taskId, mark) => {
    const ctx: InteractionContext = { store: tx, baseUrl, referencePolicy: 'lenient' }
    // Where the receiver keeps its copy of the Task: polled from now on when configured.
    if (mark.status === 'received' && mark.location && opts.statusPollMs) await schedulePoll(sqlOf(tx), taskId, mark.location, opts.statusPollMs)
    const current = await tx.readForUpdate('Task', taskId)
    if (!current || current.deleted || !current.json) return
    const task = JSON.parse(current.json) as Task
    // A dead letter is raised with the team whatever the tracking Task's state.
    if (mark.status === 'failed') await raiseDeadLetter(ctx, { ...task, id: taskId }, mark.reason)
    if (!(mark.status === 'received' ? ['requested'] : ['requested', 'received']).includes(task.status)) return
    const { meta: _meta, ...rest } = task
    const lastModified = new Date().toISOString()
    const next: Task =
      mark.status === 'received'
        ? {
            ...rest,
            status: 'received',
            businessStatus: { text: 'Delivered to the receiving service' },
            lastModified,
            ...(mark.location ? { output: [...(task.output ?? []), { type: { text: 'Receiver copy' }, valueString: mark.location }] } : {}),
          }
        : {
            ...rest,
            status: 'failed',
            statusReason: { text: mark.reason },
            businessStatus: { text: 'Delivery failed (dead letter)' },
            lastModified,
            contained: [...(task.contained ?? []).filter((r) => r.id !== 'delivery-outcome'), { ...mark.outcome, id: 'delivery-outcome' }],
            output: [...(task.output ?? []), { type: { text: 'Delivery outcome' }, valueReference: { reference: '#delivery-outcome' } }],
          }
    await nextVersion(ctx, tx, current, next, 'PUT')
  }
}

/** GET [base]/$outbox-status: queue depth, oldest pending age, delivered, dead letters by destination. */
export function registerOutboxStatusOperation(): void {
  registerOperation({
    code: 'outbox-status',
    definition: 'https://casehub.org/fhir/OperationDefinition/outbox-status',
    resourceTypes: [],
    system: true,
    type: false,
    instance: false,
    affectsState: false,
    inputs: [],
    run: async (_input, ctx) => {
      const s = await outboxStatus(sqlOf(ctx.store))
      const body: Parameters = {
        resourceType: 'Parameters',
        parameter: [
          { name: 'pending', valueInteger: s.pending },
          { name: 'oldestPendingAgeSeconds', valueDecimal: s.oldestPendingSeconds },
          { name: 'delivered', valueInteger: s.delivered },
          { name: 'dead', valueInteger: s.dead },
          ...s.deadByEndpoint.map((d) => ({
            name: 'deadLetters',
            part: [
              { name: 'endpoint', valueReference: { reference: `Endpoint/${d.endpointId}` } },
              { name: 'count', valueInteger: d.count },
            ],
          })),
        ],
      }
      return { status: 200, body }
    },
  })
}
