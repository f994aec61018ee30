// Withdrawing an onward referral that is no longer wanted (servicerequest.html status `revoked`:
// "terminated prior to the known full completion of the intended actions"). Until it reaches the
// receiver it can be taken back here: in the caller's transaction its outbox rows are removed,
// the ServiceRequest is revoked and its tracking Task cancelled. Once it is delivered, or a
// worker holds it and may be delivering it now, only the receiving service can stop it: the
// ServiceRequest stays as it is and the case management team gets a Task (task-code#abort,
// focus = the ServiceRequest) to ask that service to cancel it.
import type { Organization, Reference, ServiceRequest, Task } from '@medplum/fhirtypes'
import { findResources } from '../fhir/search/find.js'
import type { InteractionContext } from '../fhir/types.js'
import { createVersion, nextVersion } from '../fhir/write.js'
import { sqlOf } from '../routing/sql.js'
import { ONWARD_REFERRAL_KIND } from '../routing/kinds.js'
import { CASEHUB_TASK_CODE, DELIVERY_FAILED } from './dead-letters.js'
import { TASK_CODE } from './onward.js'

/** The case management team, as intake and dead letters name it (by display when not held). */
const TEAM: Reference<Organization> = { reference: 'Organization/cmt-trafford', display: 'Trafford Case Management Team' }

export type Withdrawal = 'revoked' | 'raised' | 'unchanged'
interface OutboxRef {
  id: string
  status: string
  locked_by: string | null
  task_id: string | null
}

const tasks = (ctx: InteractionContext, params: Record<string, string>) => findResources<Task>(ctx.store, 'Task', params, { baseUrl: ctx.baseUrl })

async function moveTask(ctx: InteractionContext, id: string, from: Task['status'][], change: Partial<Task>): Promise<void> {
  const current = await ctx.store.readForUpdate('Task', id)
  if (!current?.json || current.deleted) return
  const { meta: _meta, ...task } = JSON.parse(current.json) as Task
  if (!from.includes(task.status)) return
  await nextVersion(ctx, ctx.store, current, { ...task, ...change, lastModified: new Date().toISOString() } as Task, 'PUT')
}

/**
 * Withdraws ServiceRequest `id` (`status`: revoked, or entered-in-error when it was made in error)
 * for `why`, asked for by `cause` (e.g. the CarePlan). Idempotent: a request already withdrawn,
 * or already raised with the team, is left as it is.
 */
export async function withdrawReferral(ctx: InteractionContext, id: string, why: string, cause: Reference, status: 'revoked' | 'entered-in-error' = 'revoked'): Promise<Withdrawal> {
  const current = await ctx.store.readForUpdate('ServiceRequest', id)
  if (!current?.json || current.deleted) return 'unchanged'
  const referral = JSON.parse(current.json) as ServiceRequest
  if (!['draft', 'active', 'on-hold'].includes(referral.status)) return 'unchanged'
  // Row locks: a worker's claim (FOR UPDATE SKIP LOCKED) passes these rows by until commit, and
  // a claim made before is waited for and then seen (locked_by set).
  const sql = sqlOf(ctx.store)
  const { rows } = await sql.query<OutboxRef>(
    `SELECT id, status, locked_by, task_id FROM outbox WHERE payload_type = 'ServiceRequest' AND payload_id = $1 AND kind = $2 FOR UPDATE`,
    [id, ONWARD_REFERRAL_KIND],
  )
  const reached = rows.some((r) => r.status === 'delivered' || (r.status === 'pending' && r.locked_by))
  if (reached) {
    const tracking = rows.find((r) => r.task_id)?.task_id
    const owner = tracking ? await ctx.store.read('Task', tracking) : undefined
    const service = owner?.json ? (JSON.parse(owner.json) as Task).owner?.display : undefined
    return (await raiseWithTeam(ctx, { ...referral, id }, service ?? 'the receiving service', why, cause)) ? 'raised' : 'unchanged'
  }

  if (rows.length) await sql.query(`DELETE FROM outbox WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)])
  const { meta: _meta, ...body } = referral
  await nextVersion(ctx, ctx.store, current, { ...body, status }, 'PUT')
  const tracking = new Set(rows.flatMap((r) => (r.task_id ? [r.task_id] : [])))
  for (const taskId of tracking) {
    await moveTask(ctx, taskId, ['requested'], { status: 'cancelled', statusReason: { text: why }, businessStatus: { text: 'Withdrawn before delivery' } })
    // a dead letter's retry is moot now: the team's Task that raised it is done
    for (const raise of await tasks(ctx, { focus: `Task/${taskId}`, code: `${CASEHUB_TASK_CODE}|${DELIVERY_FAILED}`, status: 'requested,received,accepted,ready,in-progress,on-hold' })) {
      await moveTask(ctx, raise.id, [raise.status], { status: 'completed', statusReason: { text: `No retry needed: ${why}` } })
    }
  }
  return 'revoked'
}

/** The team's Task to have the receiving service cancel a referral it holds; one per referral. */
async function raiseWithTeam(ctx: InteractionContext, referral: ServiceRequest & { id: string }, service: string, why: string, cause: Reference): Promise<boolean> {
  const focus = `ServiceRequest/${referral.id}`
  if ((await tasks(ctx, { focus, code: `${TASK_CODE}|abort` })).length) return false
  const owner = (await ctx.store.read('Organization', 'cmt-trafford'))?.deleted === false ? TEAM : { display: TEAM.display }
  const task: Task = {
    resourceType: 'Task',
    status: 'requested',
    intent: 'order',
    priority: 'urgent',
    code: { coding: [{ system: TASK_CODE, code: 'abort', display: 'Mark the focal resource as no longer active' }] },
    description:
      `${why}, but the onward referral ${focus} has already been sent to ${service}. ` +
      `Ask ${service} to cancel it, then revoke ${focus}.`,
    focus: { reference: focus },
    ...(referral.subject ? { for: referral.subject } : {}),
    authoredOn: new Date().toISOString(),
    owner,
    reasonReference: cause,
  }
  await createVersion(ctx, ctx.store, task)
  return true
}
