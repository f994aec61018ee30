// One synthetic patient's record while it is being generated: stable ids and the resources so far.
import type { Reference, Resource } from '@medplum/fhirtypes'
import type { Borough } from './places.js'
import type { Practice } from './practices.js'

/** The period the population covers and the organisations patients use. */
export interface World {
  /** first day of the record window (days since 1970-01-01) */
  start: number
  /** first day after the window */
  end: number
  practices: Record<Borough, Practice[]>
  /** postcode districts of each borough's practices (patients mostly live near their practice) */
  districts: Record<Borough, string[]>
}

export class Chart {
  readonly resources: Resource[] = []
  private readonly counters = new Map<string, number>()

  /** `num`: the patient's zero-padded number (p-000123 → "000123"). */
  constructor(readonly num: string) {}

  /** A new id `prefix-NUM-n`, n counting per prefix within this patient. */
  id(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1
    this.counters.set(prefix, n)
    return `${prefix}-${this.num}-${n}`
  }

  add<T extends Resource>(resource: T): T {
    this.resources.push(resource)
    return resource
  }
}

// References are untyped here (medplum's Reference<T> narrows by target type, which the
// generator's mixed callers cannot express); the validation tests check the targets.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyReference = Reference<any>

export function ref(resource: Resource | { resourceType: string; id?: string }): AnyReference {
  return { reference: `${resource.resourceType}/${resource.id}` }
}

export const orgRef = (id: string): AnyReference => ({ reference: `Organization/${id}` })

export const patientRef = (id: string): AnyReference => ({ reference: `Patient/${id}` })
