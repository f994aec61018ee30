/**
 * Turns ajv errors from the FHIR JSON schema into OperationOutcome issues with
 * a human message and a FHIRPath location.
 */
import type { ErrorObject } from 'ajv'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { ID_RULE } from './preflight.js'
import {
  childPath,
  describeValue,
  errorIssue,
  jsonTypeOf,
  lastSegment,
  pointerToFhirPath,
  valueAtPointer,
  withArticle,
} from './issues.js'

/** Params of the errors raised by the `fhirResource` keyword (embedded resources). */
export type ResourceKeywordParams =
  | { problem: 'notObject' }
  | { problem: 'missingType' }
  | { problem: 'unknownType'; resourceType: unknown }
  | { problem: 'nested'; nested: ErrorObject }

/** What a valid value of each FHIR primitive type looks like. */
const FORMAT_HINTS: Record<string, string> = {
  date: 'expected YYYY, YYYY-MM or YYYY-MM-DD',
  dateTime: 'expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fff] with a time zone (Z or +hh:mm)',
  instant: 'expected YYYY-MM-DDThh:mm:ss[.fff] with a time zone (Z or +hh:mm)',
  time: 'expected hh:mm:ss[.fff]',
  code: 'must be non-empty, without leading, trailing or repeated whitespace or control characters',
  string: 'must not be empty or contain control characters (other than tab, CR and LF)',
  markdown: 'must not be empty or contain control characters (other than tab, CR and LF)',
  uri: 'must not contain spaces, line breaks or control characters',
  url: 'must not contain spaces, line breaks or control characters',
  canonical: 'must not contain spaces, line breaks or control characters',
  oid: 'expected urn:oid: followed by a dotted number',
  uuid: 'expected urn:uuid: followed by a lowercase UUID',
  base64Binary: 'must be base64 encoded',
}

/** Primitive types represented as JSON numbers or booleans (a pattern on them never applies to valid input). */
const NON_STRING_PRIMITIVES = new Set(['boolean', 'decimal', 'integer', 'positiveInt', 'unsignedInt'])

/** Name of the FHIR primitive type of a failing schema (annotated by schema-build.ts). */
function primitiveTypeOf(error: ErrorObject): string | undefined {
  const annotated: unknown = error.parentSchema?.fhirType
  return typeof annotated === 'string' ? annotated : undefined
}

function listAllowed(values: unknown[]): string {
  if (values.length > 12) return `one of ${values.length} allowed codes`
  return 'one of ' + values.map((v) => String(v)).join(', ')
}

/**
 * Converts one ajv error into an issue, or undefined for errors that only
 * reflect how the schema is built (the null branch of nullable array items).
 */
export function schemaErrorToIssue(
  rawError: ErrorObject,
  resourceType: string,
  resource: object,
): OperationOutcomeIssue | undefined {
  const instancePath = rawError.instancePath
  let error = rawError
  // Errors of embedded resources arrive wrapped by the fhirResource keyword.
  while (error.keyword === 'fhirResource' && (error.params as ResourceKeywordParams).problem === 'nested') {
    error = (error.params as { nested: ErrorObject }).nested
  }
  if (error.keyword === 'fhirResource') {
    const params = error.params as ResourceKeywordParams
    const location = pointerToFhirPath(resourceType, instancePath, resource)
    switch (params.problem) {
      case 'notObject':
        return errorIssue('structure', `Expected a resource object for ${lastSegment(location)}`, location)
      case 'missingType':
        return errorIssue('required', "Missing required element 'resourceType'", childPath(location, 'resourceType'))
      case 'unknownType':
        return errorIssue('value', `Unknown resource type ${describeValue(params.resourceType)}`, location)
    }
  }

  const location = pointerToFhirPath(resourceType, instancePath, resource)
  const property = lastSegment(location)
  const value = valueAtPointer(resource, instancePath)
  const params = error.params as Record<string, any>

  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty)
      return errorIssue('structure', `Unknown element '${name}'`, childPath(location, name))
    }
    case 'required': {
      const name = String(params.missingProperty)
      return errorIssue('required', `Missing required element '${name}'`, childPath(location, name))
    }
    case 'type': {
      const expected = String(params.type)
      if (expected === 'null') return undefined
      const actual = jsonTypeOf(value)
      if (expected === 'object' && actual === 'array') {
        return errorIssue('structure', `Expected a single value for ${property}, not an array`, location)
      }
      return errorIssue('structure', `Expected ${withArticle(expected)} for ${property}, got ${withArticle(actual)}`, location)
    }
    case 'enum': {
      if (Array.isArray(value)) {
        return errorIssue('structure', `Expected a single value for ${property}, not an array`, location)
      }
      if (typeof value !== 'string') {
        return errorIssue('structure', `Expected a string for ${property}, got ${withArticle(jsonTypeOf(value))}`, location)
      }
      const allowed = Array.isArray(params.allowedValues) ? listAllowed(params.allowedValues) : 'an allowed code'
      return errorIssue('value', `Invalid value ${describeValue(value)} for ${property}: must be ${allowed}`, location)
    }
    case 'const':
      return errorIssue(
        'value',
        `Invalid value ${describeValue(value)} for ${property}: must be ${describeValue(params.allowedValue)}`,
        location,
      )
    case 'pattern': {
      const primitive = primitiveTypeOf(error)
      // A pattern also fails for a string where a number/boolean is expected;
      // the type error already says so.
      if (typeof value !== 'string' || (primitive && NON_STRING_PRIMITIVES.has(primitive))) return undefined
      if (primitive === 'id') {
        const got = typeof value === 'string' && value.length > 64 ? `${value.length} characters` : describeValue(value)
        return errorIssue('value', `Invalid id: ${ID_RULE} (got ${got})`, location)
      }
      const hint = (primitive && FORMAT_HINTS[primitive]) ?? `must match ${String(params.pattern)}`
      const what = primitive ? `${primitive} ` : ''
      return errorIssue('value', `Invalid ${what}value ${describeValue(value)} for ${property}: ${hint}`, location)
    }
    case 'minimum':
    case 'maximum': {
      const primitive = primitiveTypeOf(error) ?? 'number'
      const bound = error.keyword === 'minimum' ? 'at least' : 'at most'
      return errorIssue('value', `Invalid ${primitive} value ${describeValue(value)} for ${property}: must be ${bound} ${String(params.limit)}`, location)
    }
    case 'fhirCalendar':
      return errorIssue(
        'value',
        `Invalid ${String(params.fhirType ?? 'date')} value ${describeValue(value)} for ${property}: ${String(params.problem)}`,
        location,
      )
    case 'fhirXhtml':
      return params.constraint
        ? errorIssue('invariant', `Constraint ${String(params.constraint)} not met: ${String(params.message)}`, location)
        : errorIssue('value', `Invalid narrative in ${property}: ${String(params.message)}`, location)
    case 'minProperties':
      return errorIssue('structure', `Empty object for ${property}: an element must have a value or child elements`, location)
    case 'minItems':
      return errorIssue('structure', `Empty array for ${property}: leave the element out instead`, location)
    case 'anyOf':
      // Only used for nullable array items; the failing branch is reported.
      return undefined
    default:
      return errorIssue('structure', `Invalid ${property}: ${error.message ?? error.keyword}`, location)
  }
}
