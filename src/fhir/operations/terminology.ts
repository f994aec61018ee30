// The R4 terminology operations over the server's own content: ValueSet/$expand,
// ValueSet/$validate-code, CodeSystem/$validate-code, CodeSystem/$lookup, CodeSystem/$subsumes
// (terminology-service.html). The work is done by src/terminology; this file routes to it.
import type { CodeSystem, OperationDefinition, Resource, ValueSet } from '@medplum/fhirtypes'
import { expandOperation, lookupOperation, subsumesOperation, TERMINOLOGY_OPERATIONS, validateCodeOperation } from '../../terminology/index.js'
import { terminologyIndex } from '../conformance/terminology.js'
import { registerOperation, type OperationInput, type ParameterType } from './registry.js'

type Run = (input: OperationInput) => Resource

const RUNS: Record<string, Run> = {
  'ValueSet-expand': ({ parameters, target }) => expandOperation(terminologyIndex(), parameters, target as ValueSet | undefined),
  'ValueSet-validate-code': ({ parameters, target }) => validateCodeOperation(terminologyIndex(), 'ValueSet', parameters, target as ValueSet | undefined),
  'CodeSystem-validate-code': ({ parameters, target }) => validateCodeOperation(terminologyIndex(), 'CodeSystem', parameters, target as CodeSystem | undefined),
  'CodeSystem-lookup': ({ parameters, target }) => lookupOperation(terminologyIndex(), parameters, target as CodeSystem | undefined),
  'CodeSystem-subsumes': ({ parameters, target }) => subsumesOperation(terminologyIndex(), parameters, target as CodeSystem | undefined),
}

export function registerTerminologyOperations(): void {
  for (const def of TERMINOLOGY_OPERATIONS) {
    const run = RUNS[def.id!]
    registerOperation({
      code: def.code!,
      definition: def.url!,
      resourceTypes: def.resource ?? [],
      system: false,
      type: def.type ?? true,
      instance: def.instance ?? false,
      affectsState: false,
      inputs: inputsOf(def),
      run: async (input) => ({ status: 200, body: run(input) }),
    })
  }
}

const PRIMITIVES = new Set<string>(['string', 'uri', 'canonical', 'code', 'integer', 'boolean', 'dateTime', 'Coding', 'CodeableConcept'])

function inputsOf(def: OperationDefinition): { name: string; type: ParameterType }[] {
  return (def.parameter ?? [])
    .filter((p) => p.use === 'in')
    .map((p) => ({ name: p.name!, type: (PRIMITIVES.has(p.type ?? '') ? p.type : 'Resource') as ParameterType }))
}
