// Dead letters, raised and retried (issue 6: "a Task for the case management team raises it.
// Dead letters can be retried by an operation"). When a delivery is dead-lettered, in the same
// transaction as the outbox row and the tracking Task, CaseHub creates a Task owned by the case
// management team (code task-code#onward-delivery-failed, focus = the tracking Task). A retry
// puts the dead outbox rows back in the queue with their attempts reset, moves each tracking Task
// back to requested and completes the Tasks that raised them.
// Task state machine: https://hl7.org/fhir/R4/task.html#statemachine — `failed` is terminal
// there; a retry is CaseHub's own decision to try again, kept visible in the Task's history.
import type { Organization, Reference, Task } from '@medplum/fhirtypes'
import { randomUUID } from 'node:crypto'
import type { InteractionContext } from '../fhir/types.js'
import { findResources } from '../fhir/search/find.js'
import { createVersion, nextVersion } from '../fhir/write.js'
import { retryDeadLetters, type RetryScope } from '../routing/retry.js'
import { sqlOf } from '../routing/sql.js'
import type { ResourceStore } from '../store/types.js'

export const CASEHUB_TASK_CODE = 'https://casehub.org/fhir/CodeSystem/task-code'
export const DELIVERY_FAILED = 'onward-delivery-failed'
/** The case management team, as intake names it; a display-only owner when not held here. */
const TEAM: Reference<Organization> = { reference: 'Organization/cmt-trafford', display: 'Trafford Case Management Team' }

async function teamOwner(store: ResourceStore): Promise<Reference<Organization>> {
  return (await store.read('Organization', 'cmt-trafford'))?.deleted === false ? TEAM : { display: TEAM.display }
}

/** Creates the team's Task that raises a dead-lettered delivery of `tracking`. */
export async function raiseDeadLetter(ctx: InteractionContext, tracking: Task & { id: string }, reason: string): Promise<string> {
  const service = tracking.owner?.display ?? tracking.owner?.reference ?? 'the receiving service'
  const referral = tracking.focus?.reference ?? 'the onward referral'
  const raise: Task = {
    resourceType: 'Task',
    status: 'requested',
    intent: 'order',
    priority: tracking.priority === 'routine' || !tracking.priority ? 'urgent' : tracking.priority,
    code: { coding: [{ system: CASEHUB_TASK_CODE, code: DELIVERY_FAILED, display: 'Onward referral delivery failed' }] },
    description:
      `The onward referral ${referral} to ${service} could not be delivered: ${reason}. ` +
      `Check the service's Endpoint and the receiver's answer (Task/${tracking.id}), then retry with ` +
      `POST Task/${tracking.id}/$retry-delivery, or refer the patient elsewhere.`,
    focus: { reference: `Task/${tracking.id}` },
    ...(tracking.for ? { for: tracking.for } : {}),
    authoredOn: new Date().toISOString(),
    owner: await teamOwner(ctx.store),
    reasonReference: { reference: referral },
  }
  const id = randomUUID()
  await createVersion(ctx, ctx.store, raise, { id })
  return id
}

/** The team's open Tasks raising dead letters of tracking Task `taskId`. */
async function openRaises(store: ResourceStore, taskId: string, baseUrl: string): Promise<{ id: string; task: Task }[]> {
  const open = { focus: `Task/${taskId}`, code: `${CASEHUB_TASK_CODE}|${DELIVERY_FAILED}`, status: 'requested,received,accepted,ready,in-progress,on-hold' }
  return (await findResources<Task>(store, 'Task', open, { baseUrl })).map((task) => ({ id: task.id, task }))
}

export interface RetryResult {
  /** outbox rows put back in the queue */
  retried: number
  /** tracking Tasks moved back to requested */
  trackingTasks: string[]
  /** team Tasks completed */
  completed: string[]
}

/** Retries the dead letters in `scope`, in the caller's transaction (ctx.store). */
export async function retryDelivery(ctx: InteractionContext, scope: RetryScope): Promise<RetryResult> {
  const tx = ctx.store
  const rows = await retryDeadLetters(sqlOf(tx), scope)
  const result: RetryResult = { retried: rows.length, trackingTasks: [], completed: [] }
  const now = new Date().toISOString()
  for (const taskId of new Set(rows.map((r) => r.task_id).filter((x): x is string => Boolean(x)))) {
    const current = await tx.readForUpdate('Task', taskId)
    if (current && !current.deleted && current.json) {
      const task = JSON.parse(current.json) as Task
      if (task.status === 'failed') {
        const { meta: _m, statusReason: _r, ...rest } = task
        const next: Task = {
          ...rest,
          status: 'requested',
          businessStatus: { text: 'Delivery retried' },
          lastModified: now,
          contained: (task.contained ?? []).filter((r) => r.id !== 'delivery-outcome'),
          output: (task.output ?? []).filter((o) => o.valueReference?.reference !== '#delivery-outcome'),
        }
        if (!next.contained?.length) delete next.contained
        if (!next.output?.length) delete next.output
        await nextVersion(ctx, tx, current, next, 'PUT')
        result.trackingTasks.push(taskId)
      }
    }
    for (const raise of await openRaises(tx, taskId, ctx.baseUrl)) {
      const locked = await tx.readForUpdate('Task', raise.id)
      if (!locked || locked.deleted) continue
      const { meta: _m, ...rest } = raise.task
      await nextVersion(ctx, tx, locked, { ...rest, status: 'completed', statusReason: { text: 'Delivery retried' }, lastModified: now } as Task, 'PUT')
      result.completed.push(raise.id)
    }
  }
  return result
}
