// Reading operation input from a Parameters resource (operations.html#request, R4). GET query
// strings arrive as string values, so numbers and booleans are also accepted as text. Errors
// name the parameter as their location.
import type { CodeableConcept, Coding, Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes'
import { badRequest } from '../errors.js'

const TEXT_KEYS = ['valueString', 'valueUri', 'valueCode', 'valueCanonical', 'valueUrl', 'valueId', 'valueMarkdown', 'valueOid', 'valueUuid', 'valueDateTime', 'valueDate'] as const

export class OperationInput {
  private readonly params: ParametersParameter[]

  constructor(parameters: Parameters | undefined, private readonly operation: string) {
    if (parameters !== undefined && parameters?.resourceType !== 'Parameters') throw badRequest(`${operation}: the input must be a Parameters resource`)
    this.params = parameters?.parameter ?? []
  }

  has(name: string): boolean {
    return this.params.some((p) => p.name === name)
  }

  names(): string[] {
    return [...new Set(this.params.map((p) => p.name ?? ''))]
  }

  all(name: string): ParametersParameter[] {
    return this.params.filter((p) => p.name === name)
  }

  one(name: string): ParametersParameter | undefined {
    const found = this.all(name)
    if (found.length > 1) throw badRequest(`${this.operation}: parameter '${name}' may appear only once`, name)
    return found[0]
  }

  string(name: string): string | undefined {
    const p = this.one(name)
    return p && text(p, name, this.operation)
  }

  strings(name: string): string[] {
    return this.all(name).map((p) => text(p, name, this.operation))
  }

  boolean(name: string): boolean | undefined {
    const p = this.one(name)
    if (!p) return undefined
    if (typeof p.valueBoolean === 'boolean') return p.valueBoolean
    const t = text(p, name, this.operation)
    if (t === 'true' || t === 'false') return t === 'true'
    throw badRequest(`${this.operation}: parameter '${name}' must be true or false, not '${t}'`, name)
  }

  integer(name: string): number | undefined {
    const p = this.one(name)
    if (!p) return undefined
    const v = p.valueInteger ?? (typeof p.valueDecimal === 'number' ? p.valueDecimal : undefined) ?? text(p, name, this.operation)
    const n = typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : NaN
    if (!Number.isSafeInteger(n) || n < 0) throw badRequest(`${this.operation}: parameter '${name}' must be a whole number ≥ 0, not '${v}'`, name)
    return n
  }

  coding(name: string): Coding | undefined {
    const p = this.one(name)
    if (!p) return undefined
    if (!p.valueCoding?.code) throw badRequest(`${this.operation}: parameter '${name}' must be a Coding with a code`, name)
    return p.valueCoding
  }

  codeableConcept(name: string): CodeableConcept | undefined {
    const p = this.one(name)
    if (!p) return undefined
    if (!p.valueCodeableConcept) throw badRequest(`${this.operation}: parameter '${name}' must be a CodeableConcept`, name)
    return p.valueCodeableConcept
  }

  resource<T extends Resource>(name: string, type: T['resourceType']): T | undefined {
    const p = this.one(name)
    if (!p) return undefined
    if (p.resource?.resourceType !== type) throw badRequest(`${this.operation}: parameter '${name}' must be a ${type} resource`, name)
    return p.resource as T
  }
}

function text(p: ParametersParameter, name: string, operation: string): string {
  for (const key of TEXT_KEYS) {
    const v = p[key]
    if (typeof v === 'string') return v
  }
  throw badRequest(`${operation}: parameter '${name}' must have a text value`, name)
}

export function outputParameters(parameter: ParametersParameter[]): Parameters {
  return { resourceType: 'Parameters', parameter }
}
