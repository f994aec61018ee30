// Extended operations (operations.html): each registers its name, where it may be invoked and
// its input parameters; dispatch.ts finds it and hands it the inputs as a Parameters resource.
import type { OperationDefinition, Parameters, Resource } from '@medplum/fhirtypes'
import type { FhirRequest, FhirResponse, InteractionContext } from '../types.js'

/** The FHIR data type of an input parameter, used to read it from a GET query string. */
export type ParameterType =
  | 'string' | 'uri' | 'canonical' | 'code' | 'integer' | 'boolean' | 'dateTime' | 'Coding' | 'CodeableConcept' | 'Meta' | 'Reference' | 'Resource'

export interface OperationParameter {
  name: string
  type: ParameterType
}

export interface OperationInput {
  level: 'system' | 'type' | 'instance'
  resourceType?: string
  id?: string
  /** the current version of [type]/[id] for instance-level calls (the version asked for at [type]/[id]/_history/[vid]) */
  target?: Resource
  /** [type]/[id]/_history/[vid]/$op: the version named */
  versionId?: string
  parameters: Parameters
  request: FhirRequest
}

export interface Operation {
  /** the name without '$' */
  code: string
  /** canonical URL of its OperationDefinition (the HL7 one where CaseHub implements a standard operation) */
  definition: string
  /** resource types it applies to; empty for system-level only */
  resourceTypes: readonly string[] | 'all'
  system: boolean
  type: boolean
  instance: boolean
  /** may also be invoked on a version, [type]/[id]/_history/[vid]/$op */
  version?: boolean
  /** operations that change data may only be invoked by POST (operations.html#invoking) */
  affectsState: boolean
  inputs: readonly OperationParameter[]
  /** a POST body that is not a Parameters resource is taken as this Resource parameter */
  resourceBody?: string
  run(input: OperationInput, ctx: InteractionContext): Promise<FhirResponse>
}

const operations: Operation[] = []

export function registerOperation(op: Operation): void {
  const i = operations.findIndex((o) => o.code === op.code && sameTypes(o, op))
  if (i >= 0) operations[i] = op
  else operations.push(op)
}

function sameTypes(a: Operation, b: Operation) {
  return JSON.stringify(a.resourceTypes) === JSON.stringify(b.resourceTypes)
}

export function findOperation(code: string, resourceType: string | undefined): Operation | undefined {
  return operations.find(
    (o) => o.code === code && (resourceType === undefined ? o.system : o.resourceTypes === 'all' || o.resourceTypes.includes(resourceType)),
  )
}

/** Operations offered on `resourceType` (type or instance level), for the CapabilityStatement. */
export function operationsFor(resourceType: string): Operation[] {
  return operations.filter((o) => (o.type || o.instance) && (o.resourceTypes === 'all' || o.resourceTypes.includes(resourceType)))
}

export function systemOperations(): Operation[] {
  return operations.filter((o) => o.system)
}

export type { OperationDefinition }
