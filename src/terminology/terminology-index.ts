// In-memory index of CodeSystems and ValueSets by canonical url and version. Adding or removing a
// resource clears the memoised value set contents (cheap: local content is small), so resources
// written through the API can be added as they change.
import type { CodeSystem, ValueSet } from '@medplum/fhirtypes'
import { notFound, unprocessable } from '../errors.js'
import { compareVersions, splitCanonical } from './canonical.js'
import { LocalCodeSystem } from './code-system.js'
import { composeConcepts, type ComposeResolver } from './compose.js'
import type { ConceptSet } from './concept-set.js'

export type TerminologyResource = CodeSystem | ValueSet

const MAX_IMPORT_DEPTH = 10

export class TerminologyIndex implements ComposeResolver {
  private readonly systems = new Map<string, Map<string, LocalCodeSystem>>()
  private readonly valueSetsByUrl = new Map<string, Map<string, ValueSet>>()
  private readonly sets = new Map<ValueSet, ConceptSet>()
  /** increases on every change; caches built on the index compare it */
  generation = 0

  constructor(resources: Iterable<TerminologyResource> = []) {
    for (const r of resources) this.add(r)
  }

  /** Adds or replaces (same url and version) a CodeSystem or ValueSet. Throws on unusable content. */
  add(resource: TerminologyResource): void {
    if (!resource.url) throw unprocessable(`A ${resource.resourceType} needs a url to be used for terminology`, `${resource.resourceType}.url`)
    if (resource.resourceType === 'CodeSystem') {
      // Supplements and content-less systems define no codes of their own.
      if (resource.content === 'supplement' || resource.content === 'not-present') return
      put(this.systems, resource.url, resource.version, new LocalCodeSystem(resource))
    } else {
      put(this.valueSetsByUrl, resource.url, resource.version, resource)
    }
    this.changed()
  }

  /** Removes every version of `url` (or just `version`) of both kinds; true if anything went. */
  remove(url: string, version?: string): boolean {
    const c = splitCanonical(url, version)
    const removed = drop(this.systems, c.url, c.version) || drop(this.valueSetsByUrl, c.url, c.version)
    if (removed) this.changed()
    return removed
  }

  /** `url` may carry `|version`; without a version, the latest. */
  codeSystem(url: string, version?: string): LocalCodeSystem | undefined {
    const c = splitCanonical(url, version)
    return pick(this.systems.get(c.url), c.version)
  }

  hasCodeSystem(url: string): boolean {
    return this.systems.has(url)
  }

  valueSet(url: string, version?: string): ValueSet | undefined {
    const c = splitCanonical(url, version)
    return pick(this.valueSetsByUrl.get(c.url), c.version)
  }

  codeSystems(): CodeSystem[] {
    return [...this.systems.values()].flatMap((m) => [...m.values()].map((cs) => cs.resource))
  }

  valueSets(): ValueSet[] {
    return [...this.valueSetsByUrl.values()].flatMap((m) => [...m.values()])
  }

  /** The content of a value set; memoised for value sets held in the index. */
  conceptSet(vs: ValueSet, visiting: Set<string> = new Set()): ConceptSet {
    const cached = this.sets.get(vs)
    if (cached) return cached
    const key = `${vs.url}|${vs.version ?? ''}`
    if (visiting.has(key)) throw unprocessable(`ValueSet ${vs.url} imports itself (through ${[...visiting].join(' → ')})`)
    if (visiting.size >= MAX_IMPORT_DEPTH) throw unprocessable(`ValueSet ${vs.url}: value set imports are nested more than ${MAX_IMPORT_DEPTH} deep`)
    const set = composeConcepts(this, vs, new Set([...visiting, key]))
    if (vs.url && this.valueSet(vs.url, vs.version) === vs) this.sets.set(vs, set)
    return set
  }

  importedSet(canonical: string, visiting: Set<string>): ConceptSet {
    const vs = this.valueSet(canonical)
    if (!vs) throw notFound(`Imported ValueSet ${canonical} is not known to this server`)
    return this.conceptSet(vs, visiting)
  }

  private changed() {
    this.sets.clear()
    this.generation++
  }
}

function put<T>(map: Map<string, Map<string, T>>, url: string, version: string | undefined, value: T) {
  let versions = map.get(url)
  if (!versions) map.set(url, (versions = new Map()))
  versions.delete(version ?? '') // re-insert so the latest addition wins ties
  versions.set(version ?? '', value)
}

function drop<T>(map: Map<string, Map<string, T>>, url: string, version: string | undefined): boolean {
  const versions = map.get(url)
  if (!versions) return false
  if (version === undefined) return map.delete(url)
  const removed = versions.delete(version)
  if (!versions.size) map.delete(url)
  return removed
}

function pick<T>(versions: Map<string, T> | undefined, version: string | undefined): T | undefined {
  if (!versions) return undefined
  if (version !== undefined) return versions.get(version)
  let best: [string, T] | undefined
  for (const entry of versions) if (!best || compareVersions(entry[0], best[0]) >= 0) best = entry
  return best?.[1]
}
