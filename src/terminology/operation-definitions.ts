// The standard R4 terminology operations this server implements, as OperationDefinitions with
// the parameters it honours (for the CapabilityStatement: rest.resource.operation.definition is
// the HL7 canonical, as the operations follow it).
import type { OperationDefinition, OperationDefinitionParameter } from '@medplum/fhirtypes'

type Param = [name: string, use: 'in' | 'out', min: number, max: string, type: string]

function definition(resource: 'ValueSet' | 'CodeSystem' | 'ConceptMap', code: string, title: string, instance: boolean, params: Param[]): OperationDefinition {
  const parameter: OperationDefinitionParameter[] = params.map(([name, use, min, max, type]) => ({ name, use, min, max, type: type as OperationDefinitionParameter['type'] }))
  return {
    resourceType: 'OperationDefinition',
    id: `${resource}-${code}`,
    url: `http://hl7.org/fhir/OperationDefinition/${resource}-${code}`,
    name: title.replace(/[^A-Za-z]/g, ''),
    title,
    status: 'active',
    kind: 'operation',
    affectsState: false,
    code,
    resource: [resource],
    system: false,
    type: true,
    instance,
    parameter,
  }
}

const VALIDATE_OUT: Param[] = [
  ['result', 'out', 1, '1', 'boolean'],
  ['message', 'out', 0, '1', 'string'],
  ['display', 'out', 0, '1', 'string'],
]

export const TERMINOLOGY_OPERATIONS: OperationDefinition[] = [
  definition('ValueSet', 'expand', 'Value Set Expansion', true, [
    ['url', 'in', 0, '1', 'uri'], ['valueSet', 'in', 0, '1', 'ValueSet'], ['valueSetVersion', 'in', 0, '1', 'string'],
    ['filter', 'in', 0, '1', 'string'], ['offset', 'in', 0, '1', 'integer'], ['count', 'in', 0, '1', 'integer'],
    ['activeOnly', 'in', 0, '1', 'boolean'], ['includeDesignations', 'in', 0, '1', 'boolean'],
    ['return', 'out', 1, '1', 'ValueSet'],
  ]),
  definition('ValueSet', 'validate-code', 'Value Set based Validation', true, [
    ['url', 'in', 0, '1', 'uri'], ['valueSet', 'in', 0, '1', 'ValueSet'], ['valueSetVersion', 'in', 0, '1', 'string'],
    ['code', 'in', 0, '1', 'code'], ['system', 'in', 0, '1', 'uri'], ['systemVersion', 'in', 0, '1', 'string'],
    ['display', 'in', 0, '1', 'string'], ['coding', 'in', 0, '1', 'Coding'], ['codeableConcept', 'in', 0, '1', 'CodeableConcept'],
    ['abstract', 'in', 0, '1', 'boolean'], ...VALIDATE_OUT,
  ]),
  definition('CodeSystem', 'validate-code', 'Code System based Validation', true, [
    ['url', 'in', 0, '1', 'uri'], ['codeSystem', 'in', 0, '1', 'CodeSystem'], ['code', 'in', 0, '1', 'code'],
    ['version', 'in', 0, '1', 'string'], ['display', 'in', 0, '1', 'string'], ['coding', 'in', 0, '1', 'Coding'],
    ['codeableConcept', 'in', 0, '1', 'CodeableConcept'], ['abstract', 'in', 0, '1', 'boolean'], ...VALIDATE_OUT,
  ]),
  definition('CodeSystem', 'lookup', 'Concept Look Up & Decomposition', false, [
    ['code', 'in', 0, '1', 'code'], ['system', 'in', 0, '1', 'uri'], ['version', 'in', 0, '1', 'string'],
    ['coding', 'in', 0, '1', 'Coding'], ['property', 'in', 0, '*', 'code'],
    ['name', 'out', 1, '1', 'string'], ['version', 'out', 0, '1', 'string'], ['display', 'out', 1, '1', 'string'],
    ['designation', 'out', 0, '*', 'BackboneElement'], ['property', 'out', 0, '*', 'BackboneElement'],
  ]),
  definition('CodeSystem', 'subsumes', 'Subsumption Testing', true, [
    ['codeA', 'in', 0, '1', 'code'], ['codeB', 'in', 0, '1', 'code'], ['system', 'in', 0, '1', 'uri'],
    ['version', 'in', 0, '1', 'string'], ['codingA', 'in', 0, '1', 'Coding'], ['codingB', 'in', 0, '1', 'Coding'],
    ['outcome', 'out', 1, '1', 'code'],
  ]),
  definition('ConceptMap', 'translate', 'Concept Translation', true, [
    ['url', 'in', 0, '1', 'uri'], ['conceptMap', 'in', 0, '1', 'ConceptMap'], ['conceptMapVersion', 'in', 0, '1', 'string'],
    ['code', 'in', 0, '1', 'code'], ['system', 'in', 0, '1', 'uri'], ['version', 'in', 0, '1', 'string'],
    ['source', 'in', 0, '1', 'uri'], ['coding', 'in', 0, '1', 'Coding'], ['codeableConcept', 'in', 0, '1', 'CodeableConcept'],
    ['target', 'in', 0, '1', 'uri'], ['targetsystem', 'in', 0, '1', 'uri'], ['reverse', 'in', 0, '1', 'boolean'],
    ['result', 'out', 1, '1', 'boolean'], ['message', 'out', 0, '1', 'string'], ['match', 'out', 0, '*', 'BackboneElement'],
  ]),
]
