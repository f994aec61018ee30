// POST [base]/$outbox-retry?endpoint=Endpoint/[id] (issue 6 "Dead letters can be retried by an
// operation"): retries every dead-lettered delivery to one Endpoint — typically once the
// receiving service has fixed what made it refuse or fail — as Task/[id]/$retry-delivery does
// for one. The endpoint is required, so a mistaken call cannot resend everything at once.
// https://hl7.org/fhir/R4/operations.html#invoking
import type { OperationDefinition } from '@medplum/fhirtypes'
import { badRequest } from '../../errors.js'
import { registerOperation } from '../../fhir/operations/registry.js'
import { localId } from '../local-id.js'
import { retryDelivery } from '../dead-letters.js'
import { RETRY_OUTPUTS, retryResultParameters } from './retry-delivery.js'

export const OUTBOX_RETRY_OPERATION: OperationDefinition = {
  resourceType: 'OperationDefinition',
  id: 'outbox-retry',
  url: 'https://casehub.org/fhir/OperationDefinition/outbox-retry',
  version: '0.1.0',
  name: 'OutboxRetry',
  title: 'Retry the dead-lettered deliveries to one Endpoint',
  status: 'active',
  kind: 'operation',
  description: 'Retries every dead-lettered delivery to the given Endpoint, as Task/[id]/$retry-delivery does for one.',
  code: 'outbox-retry',
  system: true,
  type: false,
  instance: false,
  affectsState: true,
  parameter: [
    { name: 'endpoint', use: 'in', min: 1, max: '1', type: 'Reference', targetProfile: ['http://hl7.org/fhir/StructureDefinition/Endpoint'], documentation: 'In a URL: ?endpoint=Endpoint/{id}' },
    ...RETRY_OUTPUTS,
  ],
}
export const OUTBOX_RETRY_DEFINITION = OUTBOX_RETRY_OPERATION.url!

export function registerOutboxRetryOperation(): void {
  registerOperation({
    code: 'outbox-retry',
    definition: OUTBOX_RETRY_DEFINITION,
    resourceTypes: [],
    system: true,
    type: false,
    instance: false,
    affectsState: true,
    inputs: [{ name: 'endpoint', type: 'Reference' }],
    run: async ({ parameters }, ctx) => {
      const given = parameters.parameter?.filter((p) => p.name === 'endpoint') ?? []
      if (given.length !== 1) throw badRequest('Give exactly one endpoint (a Reference to Endpoint/[id]) whose dead letters to retry', 'endpoint')
      const ref = given[0].valueReference?.reference ?? given[0].valueString
      const endpointId = localId('Endpoint', ref)
      if (!endpointId) throw badRequest(`endpoint must be a reference to an Endpoint (Endpoint/[id]), not ${JSON.stringify(ref ?? null)}`, 'endpoint')
      return ctx.store.transaction(async (tx) => ({ status: 200, body: retryResultParameters(await retryDelivery({ ...ctx, store: tx }, { endpointId })) }))
    },
  })
}
