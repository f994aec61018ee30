/**
 * Layer 1: the official FHIR R4 JSON schema, compiled with ajv.
 *
 * The shipped schema declares draft-06. Ajv's default class implements
 * draft-07, a superset of the draft-06 vocabulary the schema uses, so the
 * draft-06 meta-schema is registered and the schema is compiled as declared
 * (after the changes listed in schema-build.ts).
 *
 * Each resource type is compiled on its own (`#/definitions/Patient`), never
 * the top-level `oneOf` over all resources: compiling one type takes
 * ~10-20 ms once the schema is loaded, and its errors point at the element.
 * Embedded resources (contained, Bundle.entry.resource, ...) are dispatched
 * on their resourceType by the `fhirResource` keyword.
 */
import { createRequire } from 'node:module'
import { Ajv, type ErrorObject, type SchemaValidateFunction, type ValidateFunction } from 'ajv'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { isResourceType, loadRawSchema, resourceTypes } from './definitions.js'
import { calendarProblem } from './dates.js'
import { narrativeProblem } from './narrative.js'
import { buildSchema, SCHEMA_ID } from './schema-build.js'
import { schemaErrorToIssue, type ResourceKeywordParams } from './schema-messages.js'

const require = createRequire(import.meta.url)

let ajv: Ajv | undefined
const validators = new Map<string, ValidateFunction>()

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

/** `fhirCalendar`: a date, dateTime or instant must name a day that exists. */
const validateCalendar: SchemaValidateFunction = function (_schema, data, parentSchema) {
  const problem = calendarProblem(data)
  if (!problem) return true
  validateCalendar.errors = [{ keyword: 'fhirCalendar', params: { problem, fhirType: parentSchema?.fhirType }, message: problem }]
  return false
}

/** `fhirXhtml`: narrative XHTML rules, see narrative.ts. */
const validateXhtml: SchemaValidateFunction = function (_schema, data) {
  if (typeof data !== 'string') return true
  const problem = narrativeProblem(data)
  if (!problem) return true
  validateXhtml.errors = [{ keyword: 'fhirXhtml', params: { ...problem }, message: problem.message }]
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
  instance.addKeyword({ keyword: 'fhirCalendar', schemaType: 'boolean', errors: true, validate: validateCalendar })
  instance.addKeyword({ keyword: 'fhirXhtml', schemaType: 'boolean', errors: true, validate: validateXhtml })
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

/**
 * Compiles the validators not compiled yet, one resource type per turn of the event loop, so a
 * listening server answers requests meanwhile. Each type otherwise compiles on first use
 * (10-20 ms once); compiling all ~150 takes about a second.
 */
export async function warmSchemaValidators(): Promise<void> {
  for (const resourceType of resourceTypes()) {
    if (validators.has(resourceType)) continue
    await new Promise((resolve) => setImmediate(resolve))
    getValidator(resourceType)
  }
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
