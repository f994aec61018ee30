// Reference handling (references.html): finding every Reference.reference in a resource,
// rewriting them (transactions), and the optional strict check that local targets exist.
import { isResourceType } from './validation/index.js'
import { unprocessable } from '../errors.js'
import type { ResourceStore } from '../store/types.js'

export interface FoundReference {
  /** FHIRPath-style location, e.g. Observation.subject */
  path: string
  value: string
  holder: Record<string, unknown>
}

/** Every `reference` string in the resource, contained resources included. Iterative (no deep recursion). */
export function findReferences(resource: Record<string, unknown>, root = String(resource.resourceType)): FoundReference[] {
  const found: FoundReference[] = []
  const stack: Array<[unknown, string]> = [[resource, root]]
  while (stack.length) {
    const [node, path] = stack.pop()!
    if (Array.isArray(node)) {
      node.forEach((item, i) => stack.push([item, `${path}[${i}]`]))
    } else if (node && typeof node === 'object') {
      const obj = node as Record<string, unknown>
      for (const [key, value] of Object.entries(obj)) {
        if (key === 'reference' && typeof value === 'string') found.push({ path: `${path}.reference`, value, holder: obj })
        else if (value && typeof value === 'object') stack.push([value, `${path}.${key}`])
      }
    }
  }
  return found
}

const LOCAL = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[0-9]+)?$/

/** `Type/id` when the reference points into this server (relative, or absolute under baseUrl). */
export function localTarget(reference: string, baseUrl: string): string | undefined {
  const rel = reference.startsWith(baseUrl + '/') ? reference.slice(baseUrl.length + 1) : reference
  const m = LOCAL.exec(rel)
  if (!m || !isResourceType(m[1])) return undefined
  return `${m[1]}/${m[2]}`
}

/**
 * Strict referential integrity (off by default: a referrer's record is bigger than ours).
 * `pending` holds Type/id keys being written in the same transaction.
 */
export async function assertReferencesExist(
  store: ResourceStore,
  resource: Record<string, unknown>,
  baseUrl: string,
  pending: Set<string> = new Set(),
  pathPrefix?: string,
) {
  const refs = findReferences(resource, pathPrefix)
  const targets = new Map<string, string>()
  for (const ref of refs) {
    const key = localTarget(ref.value, baseUrl)
    if (key && !pending.has(key) && !targets.has(key)) targets.set(key, ref.path)
  }
  if (targets.size === 0) return
  const existing = await store.existing([...targets.keys()])
  for (const [key, path] of targets) {
    if (!existing.has(key)) throw unprocessable(`Referenced resource ${key} does not exist on this server`, path)
  }
}
