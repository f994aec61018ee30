// POST Task/[id]/$retry-delivery (issue 6 "Dead letters can be retried by an operation"): on an
// onward referral's tracking Task whose delivery was dead-lettered, puts the delivery back in
// the outbox with its attempts reset, moves the Task back to requested and completes the case
// management team's Task that raised it (dead-letters.ts). Operations that change data are
// invoked by POST (https://hl7.org/fhir/R4/operations.html#invoking). Answers with a
// Parameters: retried (count), trackingTask, completed (the team's Tasks closed).
import type { OperationDefinition, OperationDefinitionParameter, Parameters } from '@medplum/fhirtypes'
import { conflict, unprocessable } from '../../errors.js'
import { registerOperation } from '../../fhir/operations/registry.js'
import { deliveryStates } from '../../routing/retry.js'
import { sqlOf } from '../../routing/sql.js'
import { retryDelivery, type RetryResult } from '../dead-letters.js'

/** What both retry operations answer with. */
export const RETRY_OUTPUTS: OperationDefinitionParameter[] = [
  { name: 'retried', use: 'out', min: 1, max: '1', type: 'integer', documentation: 'Deliveries put back in the outbox' },
  { name: 'trackingTask', use: 'out', min: 0, max: '*', type: 'Reference', documentation: 'Tracking Tasks moved from failed back to requested' },
  { name: 'completed', use: 'out', min: 0, max: '*', type: 'Reference', documentation: 'Tasks of the case management team that raised the dead letters, now completed' },
]

export const RETRY_DELIVERY_OPERATION: OperationDefinition = {
  resourceType: 'OperationDefinition',
  id: 'Task-retry-delivery',
  url: 'https://casehub.org/fhir/OperationDefinition/Task-retry-delivery',
  version: '0.1.0',
  name: 'TaskRetryDelivery',
  title: 'Retry a dead-lettered onward referral delivery',
  status: 'active',
  kind: 'operation',
  description:
    'On the tracking Task of an onward referral whose delivery was dead-lettered: puts the delivery back in the outbox with its ' +
    'attempts reset, moves the Task back to requested and completes the case management team\'s Task that raised it.',
  code: 'retry-delivery',
  resource: ['Task'],
  system: false,
  type: false,
  instance: true,
  affectsState: true,
  parameter: RETRY_OUTPUTS,
}
export const RETRY_DELIVERY_DEFINITION = RETRY_DELIVERY_OPERATION.url!

export function retryResultParameters(r: RetryResult): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'retried', valueInteger: r.retried },
      ...r.trackingTasks.map((id) => ({ name: 'trackingTask', valueReference: { reference: `Task/${id}` } })),
      ...r.completed.map((id) => ({ name: 'completed', valueReference: { reference: `Task/${id}` } })),
    ],
  }
}

export function registerRetryDeliveryOperation(): void {
  registerOperation({
    code: 'retry-delivery',
    definition: RETRY_DELIVERY_DEFINITION,
    resourceTypes: ['Task'],
    system: false,
    type: false,
    instance: true,
    affectsState: true,
    inputs: [],
    run: async ({ id }, ctx) =>
      ctx.store.transaction(async (tx) => {
        const states = await deliveryStates(sqlOf(tx), id!)
        if (!states.length) throw unprocessable(`Task/${id} tracks no onward referral delivery`, 'Task')
        if (!states.includes('dead')) {
          throw conflict(`The delivery tracked by Task/${id} is not dead-lettered (it is ${states.join(', ')}); nothing to retry`, 'Task.status')
        }
        const result = await retryDelivery({ ...ctx, store: tx }, { taskId: id! })
        return { status: 200, body: retryResultParameters(result) }
      }),
  })
}
