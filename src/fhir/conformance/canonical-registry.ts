// The conformance resources this process knows, by canonical URL (references.html#canonical):
// StructureDefinitions for meta.profile validation, ValueSets and CodeSystems for terminology.
// Filled at start from the database and kept current by every write of these types.
import type { CodeSystem, Resource, StructureDefinition, ValueSet } from '@medplum/fhirtypes'

export const CANONICAL_TYPES = ['StructureDefinition', 'ValueSet', 'CodeSystem'] as const
export type CanonicalType = (typeof CANONICAL_TYPES)[number]
export type CanonicalResource = StructureDefinition | ValueSet | CodeSystem

type Listener = (type: CanonicalType) => void

const byType = new Map<CanonicalType, Map<string, CanonicalResource>>(CANONICAL_TYPES.map((t) => [t, new Map()]))
const listeners: Listener[] = []
let generation = 0

export function isCanonicalType(type: string): type is CanonicalType {
  return (CANONICAL_TYPES as readonly string[]).includes(type)
}

/** Keyed by resource id: the current version of each stored resource. */
export function registerCanonical(resource: Resource): void {
  if (!isCanonicalType(resource.resourceType) || !resource.id) return
  const r = resource as CanonicalResource
  byType.get(resource.resourceType)!.set(resource.id, r)
  changed(resource.resourceType)
}

export function unregisterCanonical(type: string, id: string): void {
  if (!isCanonicalType(type)) return
  if (byType.get(type)!.delete(id)) changed(type)
}

export function onCanonicalChange(listener: Listener): void {
  listeners.push(listener)
}

/** Changes whenever a canonical resource is added, replaced or removed (for caches). */
export function canonicalGeneration(): number {
  return generation
}

function changed(type: CanonicalType) {
  generation++
  for (const l of listeners) l(type)
}

export function allCanonical<T extends CanonicalResource>(type: CanonicalType): T[] {
  return [...byType.get(type)!.values()] as T[]
}

/**
 * The resource a canonical reference names: `url|version` exactly, or `url` alone the latest
 * active version (by version string, then last registered). Retired resources still resolve.
 */
export function resolveCanonical<T extends CanonicalResource>(type: CanonicalType, canonical: string): T | undefined {
  const bar = canonical.indexOf('|')
  const url = bar < 0 ? canonical : canonical.slice(0, bar)
  const version = bar < 0 ? undefined : canonical.slice(bar + 1)
  let best: CanonicalResource | undefined
  for (const r of byType.get(type)!.values()) {
    if (r.url !== url) continue
    if (version !== undefined) {
      if (r.version === version) return r as T
      continue
    }
    if (!best || rank(r) > rank(best) || (rank(r) === rank(best) && compareVersions(r.version, best.version) >= 0)) best = r
  }
  return best as T | undefined
}

function rank(r: CanonicalResource) {
  return r.status === 'active' ? 2 : r.status === 'draft' ? 1 : 0
}

function compareVersions(a = '', b = ''): number {
  return a.localeCompare(b, 'en', { numeric: true })
}
