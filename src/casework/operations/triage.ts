// POST Task/[id]/$triage (issue 5): re-runs the eligibility rules for the referral the Task is
// for, or — with `status` and `reason` — records a case manager's override of the outcome. An
// override is audited with a Provenance on the Task's new version (provenance.html: target,
// recorded, activity, agent, reason). Answers with the Task as it now stands.
import type { CodeableConcept, Provenance, Reference, ServiceRequest, Task } from '@medplum/fhirtypes'
import { randomUUID } from 'node:crypto'
import { badRequest, unprocessable } from '../../errors.js'
import { paramValue } from '../../fhir/operations/parameters.js'
import { registerOperation, type OperationInput } from '../../fhir/operations/registry.js'
import type { InteractionContext } from '../../fhir/types.js'
import { createVersion, nextVersion } from '../../fhir/write.js'
import { triage } from '../intake.js'
import { localId } from '../local-id.js'

const OVERRIDES = ['accepted', 'rejected', 'on-hold', 'in-progress', 'cancelled'] as const

export function registerTriageOperation(): void {
  registerOperation({
    code: 'triage',
    definition: 'https://casehub.org/fhir/OperationDefinition/Task-triage',
    resourceTypes: ['Task'],
    system: false,
    type: false,
    instance: true,
    affectsState: true,
    inputs: [
      { name: 'status', type: 'code' },
      { name: 'reason', type: 'string' },
      { name: 'author', type: 'Reference' },
    ],
    run: async (input, ctx) => ctx.store.transaction(async (tx) => ({ status: 200, body: await run(input, { ...ctx, store: tx }) })),
  })
}

async function run({ id, parameters }: OperationInput, ctx: InteractionContext): Promise<Task> {
  // Read again under a row lock: the target the dispatcher read may be stale by now.
  const current = await ctx.store.readForUpdate('Task', id!)
  const task = JSON.parse(current!.json!) as Task
  const status = paramValue(parameters, 'status') as string | undefined
  if (status === undefined) return triage(task, await referralOf(task, ctx), ctx)
  if (!(OVERRIDES as readonly string[]).includes(status)) throw badRequest(`status must be one of ${OVERRIDES.join(', ')}`, 'status')
  const reason = paramValue(parameters, 'reason')
  if (typeof reason !== 'string' || reason.trim() === '') throw badRequest('An override needs a reason', 'reason')
  const author = parameters.parameter?.find((p) => p.name === 'author')?.valueReference
  const statusReason: CodeableConcept = { text: reason }
  const overridden: Task = { ...task, status: status as Task['status'], statusReason }
  const { versionId } = await nextVersion(ctx, ctx.store, current!, overridden, 'PUT')
  const { id: provenanceId, ...record } = provenance(id!, versionId, reason, author)
  await createVersion(ctx, ctx.store, record, { id: provenanceId })
  return { ...overridden, meta: { ...overridden.meta, versionId } }
}

async function referralOf(task: Task, ctx: InteractionContext): Promise<ServiceRequest> {
  const id = localId('ServiceRequest', task.focus?.reference)
  const stored = id ? await ctx.store.read('ServiceRequest', id) : undefined
  if (!stored || stored.deleted || !stored.json) throw unprocessable('The Task is not for a referral (Task.focus names no ServiceRequest held here)', 'Task.focus')
  return JSON.parse(stored.json) as ServiceRequest
}

function provenance(taskId: string, versionId: string, reason: string, author: Reference | undefined): Provenance {
  return {
    resourceType: 'Provenance',
    id: randomUUID(),
    target: [{ reference: `Task/${taskId}/_history/${versionId}` }],
    recorded: new Date().toISOString(),
    activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'UPDATE', display: 'revise' }], text: 'Triage outcome overridden by a case manager' },
    reason: [{ text: reason }],
    agent: [{ who: (author ?? { display: 'Case manager (not identified: no authentication yet)' }) as NonNullable<Provenance['agent'][number]['who']> }],
  }
}
