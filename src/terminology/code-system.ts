// A CodeSystem compiled for terminology operations: concepts by code, the hierarchy from concept
// nesting and from the `parent`/`child` properties (codesystem.html#hierarchy, R4), and the
// inactive / notSelectable flags the expansion and validation need.
import type { CodeSystem, CodeSystemConcept, CodeSystemConceptDesignation, CodeSystemConceptProperty } from '@medplum/fhirtypes'
import { unprocessable } from '../errors.js'

export interface LocalConcept {
  code: string
  display?: string
  definition?: string
  designation: CodeSystemConceptDesignation[]
  /** concept.property as written, without `parent`/`child` (those are in parents/children) */
  property: CodeSystemConceptProperty[]
  parents: Set<string>
  children: Set<string>
  inactive: boolean
  /** notSelectable = true: a grouping concept (expansion.contains.abstract) */
  abstract: boolean
}

export class LocalCodeSystem {
  readonly url: string
  readonly version?: string
  /** in document order (depth first), the order expansions list them */
  readonly concepts = new Map<string, LocalConcept>()
  private readonly folded?: Map<string, LocalConcept>
  private readonly ancestorCache = new Map<string, Set<string>>()
  private readonly descendantCache = new Map<string, Set<string>>()

  constructor(readonly resource: CodeSystem) {
    if (!resource.url) throw unprocessable('A CodeSystem needs a url to be used for terminology', 'CodeSystem.url')
    this.url = resource.url
    this.version = resource.version
    const walk = (list: CodeSystemConcept[] | undefined, parent: string | undefined) => {
      for (const c of list ?? []) {
        if (this.concepts.has(c.code!)) throw unprocessable(`CodeSystem ${this.url} defines code '${c.code}' twice`, 'CodeSystem.concept')
        this.concepts.set(c.code!, compileConcept(c))
        if (parent) this.link(parent, c.code!)
        walk(c.concept, c.code)
      }
    }
    walk(resource.concept, undefined)
    for (const concept of this.concepts.values()) {
      for (const p of concept.property) {
        if (p.code === 'parent' && p.valueCode) this.link(p.valueCode, concept.code)
        if (p.code === 'child' && p.valueCode) this.link(concept.code, p.valueCode)
      }
      concept.property = concept.property.filter((p) => p.code !== 'parent' && p.code !== 'child')
    }
    if (resource.caseSensitive === false) {
      this.folded = new Map([...this.concepts.values()].map((c) => [c.code.toLowerCase(), c]))
    }
  }

  find(code: string): LocalConcept | undefined {
    return this.concepts.get(code) ?? this.folded?.get(code.toLowerCase())
  }

  /** Every concept that `code` is-a, transitively, without `code` itself. */
  ancestors(code: string): Set<string> {
    return this.closure(code, this.ancestorCache, (c) => c.parents)
  }

  /** Every concept that is-a `code`, transitively, without `code` itself. */
  descendants(code: string): Set<string> {
    return this.closure(code, this.descendantCache, (c) => c.children)
  }

  private closure(code: string, cache: Map<string, Set<string>>, next: (c: LocalConcept) => Set<string>) {
    let out = cache.get(code)
    if (out) return out
    out = new Set<string>()
    const stack = [...(this.concepts.get(code) ? next(this.concepts.get(code)!) : [])]
    while (stack.length) {
      const c = stack.pop()!
      if (out.has(c) || c === code) continue // tolerate cycles in bad content
      out.add(c)
      const concept = this.concepts.get(c)
      if (concept) stack.push(...next(concept))
    }
    cache.set(code, out)
    return out
  }

  private link(parent: string, child: string) {
    const p = this.concepts.get(parent)
    const c = this.concepts.get(child)
    if (!p || !c) throw unprocessable(`CodeSystem ${this.url}: hierarchy refers to unknown code '${p ? child : parent}'`, 'CodeSystem.concept')
    p.children.add(child)
    c.parents.add(parent)
  }
}

function compileConcept(c: CodeSystemConcept): LocalConcept {
  const property = [...(c.property ?? [])]
  const has = (code: string, test: (p: CodeSystemConceptProperty) => boolean) => property.some((p) => p.code === code && test(p))
  return {
    code: c.code!,
    display: c.display,
    definition: c.definition,
    designation: c.designation ?? [],
    property,
    parents: new Set(),
    children: new Set(),
    // R4 concept-properties: `inactive` (boolean) and `status` (retired / inactive codes)
    inactive: has('inactive', (p) => p.valueBoolean === true) || has('status', (p) => p.valueCode === 'retired' || p.valueCode === 'inactive'),
    abstract: has('notSelectable', (p) => p.valueBoolean === true),
  }
}

/** A concept property value as text, for `=`, `in` and `regex` filters. */
export function propertyText(p: CodeSystemConceptProperty): string | undefined {
  if (p.valueCode !== undefined) return p.valueCode
  if (p.valueString !== undefined) return p.valueString
  if (p.valueCoding?.code !== undefined) return p.valueCoding.code
  if (p.valueDateTime !== undefined) return p.valueDateTime
  for (const v of [p.valueBoolean, p.valueInteger, p.valueDecimal]) if (v !== undefined) return String(v)
  return undefined
}
