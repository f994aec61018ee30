// The content of a value set as set algebra (valueset.html#compose): enumerated concepts, plus
// whole code systems this server cannot enumerate (not held locally) minus the codes excluded
// from them. Membership is exact either way; only enumeration needs every code to be local.
import type { ValueSetComposeIncludeConceptDesignation } from '@medplum/fhirtypes'

export interface Entry {
  system: string
  version?: string
  code: string
  display?: string
  inactive?: boolean
  abstract?: boolean
  designation?: ValueSetComposeIncludeConceptDesignation[]
}

export const entryKey = (system: string, code: string) => `${system}|${code}`

export class ConceptSet {
  /** keyed by system|code, in expansion order */
  readonly entries = new Map<string, Entry>()
  /** systems included as a whole that are not local CodeSystems */
  readonly open = new Set<string>()
  /** system|code keys removed from an open system by an exclude */
  readonly holes = new Set<string>()

  has(system: string, code: string): boolean {
    const key = entryKey(system, code)
    return this.entries.has(key) || (this.open.has(system) && !this.holes.has(key))
  }

  add(entry: Entry) {
    const key = entryKey(entry.system, entry.code)
    if (!this.entries.has(key)) this.entries.set(key, entry)
  }

  static union(a: ConceptSet, b: ConceptSet): ConceptSet {
    const out = new ConceptSet()
    for (const e of a.entries.values()) out.add(e)
    for (const e of b.entries.values()) out.add(e)
    for (const s of [...a.open, ...b.open]) out.open.add(s)
    for (const k of a.holes) if (!isMember(b, k)) out.holes.add(k)
    for (const k of b.holes) if (!isMember(a, k)) out.holes.add(k)
    return out
  }

  /** valueset.html#compose: value sets imported together, or with a system, intersect. */
  static intersect(a: ConceptSet, b: ConceptSet): ConceptSet {
    const out = new ConceptSet()
    for (const e of a.entries.values()) if (b.has(e.system, e.code)) out.add(e)
    for (const e of b.entries.values()) if (a.has(e.system, e.code)) out.add(e)
    for (const s of a.open) if (b.open.has(s)) out.open.add(s)
    for (const k of [...a.holes, ...b.holes]) out.holes.add(k)
    return out
  }

  static subtract(a: ConceptSet, b: ConceptSet): ConceptSet {
    const out = new ConceptSet()
    for (const e of a.entries.values()) if (!b.has(e.system, e.code)) out.add(e)
    for (const s of a.open) if (!b.open.has(s)) out.open.add(s)
    for (const k of a.holes) out.holes.add(k)
    // Holes matter only in systems that are included whole and cannot be enumerated
    for (const [k, e] of b.entries) if (out.open.has(e.system)) out.holes.add(k)
    return out
  }
}

function isMember(set: ConceptSet, key: string): boolean {
  const bar = key.indexOf('|') // systems never contain '|'; codes might
  return set.has(key.slice(0, bar), key.slice(bar + 1))
}
