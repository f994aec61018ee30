// Status back by polling: the receiver's copy of an onward Task, read by routing/status-poll.ts,
// is mirrored onto CaseHub's tracking Task — status, businessStatus, statusReason — so the
// referrer sees the receiver's progress (Task?focus=ServiceRequest/X) even when the receiver
// never writes to CaseHub. Task states: https://hl7.org/fhir/R4/task.html#statemachine. The
// tracking Task never moves back to draft or requested, and a final one is left alone.
import type { Task } from '@medplum/fhirtypes'
import type { InteractionContext } from '../fhir/types.js'
import { nextVersion } from '../fhir/write.js'
import type { StatusMirror } from '../routing/status-poll.js'

const FINAL: readonly string[] = ['completed', 'cancelled', 'failed', 'rejected', 'entered-in-error']
const MIRRORED: readonly string[] = ['received', 'accepted', 'ready', 'in-progress', 'on-hold', ...FINAL]

export function statusMirror(baseUrl: string): StatusMirror {
  return async (tx, taskId, remote) => {
    const current = await tx.readForUpdate('Task', taskId)
    if (!current || current.deleted || !current.json) return true
    const task = JSON.parse(current.json) as Task
    if (FINAL.includes(task.status)) return true
    const status = remote?.resourceType === 'Task' ? remote.status : undefined
    if (!status || !MIRRORED.includes(status)) return false
    const sameBusiness = JSON.stringify(remote.businessStatus ?? null) === JSON.stringify(task.businessStatus ?? null)
    if (status === task.status && (sameBusiness || !remote.businessStatus)) return FINAL.includes(status)
    const { meta: _meta, statusReason: _reason, ...rest } = task
    const next: Task = {
      ...rest,
      status,
      ...(remote.businessStatus ? { businessStatus: remote.businessStatus } : {}),
      ...(remote.statusReason ? { statusReason: remote.statusReason } : {}),
      lastModified: new Date().toISOString(),
    }
    const ctx: InteractionContext = { store: tx, baseUrl, referencePolicy: 'lenient' }
    await nextVersion(ctx, tx, current, next, 'PUT')
    return FINAL.includes(status)
  }
}
