// The inputs of an operation as one Parameters resource, whether they came in a GET query
// string or a POST body (operations.html#invoking, parameters.html).
import type { Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes'
import { badRequest } from '../../errors.js'
import type { FhirRequest } from '../types.js'
import type { Operation, ParameterType } from './registry.js'

// Query parameters that shape the response, not inputs of the operation (http.html#parameters).
const RESULT_PARAMETERS = new Set(['_format', '_pretty', '_summary', '_elements'])

export function operationParameters(op: Operation, req: FhirRequest): Parameters {
  const fromQuery = queryParameters(op, req.query)
  if (req.method !== 'POST' || req.body === undefined) return { resourceType: 'Parameters', parameter: fromQuery }
  const body = req.body as Resource
  if (body && typeof body === 'object' && body.resourceType === 'Parameters') {
    return { resourceType: 'Parameters', parameter: [...checkedParameters(body as Parameters), ...fromQuery] }
  }
  if (op.resourceBody && body && typeof body === 'object' && typeof body.resourceType === 'string') {
    return { resourceType: 'Parameters', parameter: [{ name: op.resourceBody, resource: body }, ...fromQuery] }
  }
  throw badRequest(`The body of $${op.code} must be a Parameters resource`)
}

/**
 * The shape of a Parameters body (parameters.html). Resources inside are not validated here:
 * each operation decides (for $validate an invalid resource is the answer, not an error).
 */
function checkedParameters(body: Parameters): ParametersParameter[] {
  const list = (body as { parameter?: unknown }).parameter ?? []
  if (!Array.isArray(list)) throw badRequest('Parameters.parameter must be an array', 'Parameters.parameter')
  list.forEach((p, i) => {
    if (!p || typeof p !== 'object' || typeof (p as ParametersParameter).name !== 'string') {
      throw badRequest('Each parameter needs a name', `Parameters.parameter[${i}].name`)
    }
  })
  return list as ParametersParameter[]
}

function queryParameters(op: Operation, query: Record<string, string[]>): ParametersParameter[] {
  const out: ParametersParameter[] = []
  for (const [name, values] of Object.entries(query)) {
    if (RESULT_PARAMETERS.has(name)) continue
    const def = op.inputs.find((p) => p.name === name)
    if (!def) throw badRequest(`Unknown parameter "${name}" for $${op.code}; it takes ${op.inputs.map((p) => p.name).join(', ')}`, name)
    for (const value of values) out.push(fromText(name, def.type, value))
  }
  return out
}

function fromText(name: string, type: ParameterType, text: string): ParametersParameter {
  switch (type) {
    case 'integer':
      if (!/^-?\d{1,9}$/.test(text)) throw badRequest(`Parameter "${name}" must be an integer, not "${text.slice(0, 40)}"`, name)
      return { name, valueInteger: Number(text) }
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw badRequest(`Parameter "${name}" must be true or false`, name)
      return { name, valueBoolean: text === 'true' }
    case 'Coding': {
      // A Coding in a URL is written system|code (as token search parameters are)
      const bar = text.indexOf('|')
      return { name, valueCoding: bar < 0 ? { code: text } : { system: text.slice(0, bar) || undefined, code: text.slice(bar + 1) } }
    }
    case 'Reference':
      // A Reference in a URL is written as its literal reference (Type/id or an absolute URL)
      return { name, valueReference: { reference: text } }
    case 'CodeableConcept':
    case 'Meta':
    case 'Resource':
      throw badRequest(`Parameter "${name}" is a ${type}; send it in a Parameters body with POST`, name)
    default:
      return { name, [`value${type[0].toUpperCase()}${type.slice(1)}`]: text } as ParametersParameter
  }
}

/** The primitive value of the first parameter named `name`, whatever its value[x] type. */
export function paramValue(params: Parameters, name: string): string | number | boolean | undefined {
  const p = params.parameter?.find((x) => x.name === name)
  if (!p) return undefined
  for (const [key, value] of Object.entries(p)) {
    if (key.startsWith('value') && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) return value
  }
  return undefined
}

export function paramResource(params: Parameters, name: string): Resource | undefined {
  return params.parameter?.find((x) => x.name === name)?.resource
}
