// _include and _revinclude (search.html#include), with :iterate followed until no new
// resources appear (bounded, so reference cycles end).
import type { ResourceStore, StoredVersion } from '../../store/types.js'
import type { IncludeSpec } from './parse.js'

const MAX_ITERATIONS = 5

export async function fetchIncludes(
  store: ResourceStore,
  matches: StoredVersion[],
  include: IncludeSpec[],
  revinclude: IncludeSpec[],
): Promise<StoredVersion[]> {
  if (matches.length === 0 || (include.length === 0 && revinclude.length === 0)) return []
  const seen = new Set(matches.map(key))
  const included: StoredVersion[] = []
  let frontier = matches
  for (let round = 0; round < MAX_ITERATIONS && frontier.length; round++) {
    const fresh: StoredVersion[] = []
    const add = (versions: StoredVersion[]) => {
      for (const v of versions) {
        if (seen.has(key(v))) continue
        seen.add(key(v))
        fresh.push(v)
      }
    }
    // The first round follows every spec from the matches; later rounds only :iterate specs
    // from what the previous round brought in.
    for (const spec of include.filter((s) => round === 0 || s.iterate)) {
      const from = frontier.filter((v) => !spec.sourceType || v.resourceType === spec.sourceType)
      add(await store.include({ from: from.map(ref), sourceType: spec.sourceType, param: anyParam(spec), targetType: spec.targetType }))
    }
    for (const spec of revinclude.filter((s) => round === 0 || s.iterate)) {
      const from = frontier.filter((v) => !spec.targetType || v.resourceType === spec.targetType)
      add(await store.revInclude({ from: from.map(ref), sourceType: spec.sourceType, param: anyParam(spec) }))
    }
    included.push(...fresh)
    frontier = fresh
  }
  return included
}

/** the store's "any reference parameter" for a wildcard */
const anyParam = (spec: IncludeSpec) => (spec.param === '*' ? undefined : spec.param)

const key = (v: StoredVersion) => `${v.resourceType}/${v.id}`
const ref = (v: StoredVersion) => ({ resourceType: v.resourceType, id: v.id })
