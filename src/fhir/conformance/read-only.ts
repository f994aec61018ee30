// CaseHub's own conformance resources (profiles/, terminology/) are served read-only: they are
// installed from the repository at start, and changing them through the API would make a
// running server disagree with its published package.
import type { Resource } from '@medplum/fhirtypes'
import { methodNotAllowed, unprocessable } from '../../errors.js'
import { isCanonicalType, resolveCanonical, type CanonicalResource } from './canonical-registry.js'

const installed = new Set<string>()

export function markInstalled(type: string, id: string): void {
  installed.add(`${type}/${id}`)
}

export function isInstalled(type: string, id: string): boolean {
  return installed.has(`${type}/${id}`)
}

/** Update, patch and delete of an installed resource are refused. */
export function assertWritable(type: string, id: string): void {
  if (installed.has(`${type}/${id}`)) {
    throw methodNotAllowed(`${type}/${id} is one of CaseHub's conformance resources and is read-only; publish a changed copy under another url or version`)
  }
}

/** A new resource may not take the url|version of an installed one: canonical references would become ambiguous. */
export function assertCanonicalFree(resource: Resource, id: string, path: string = resource.resourceType): void {
  if (!isCanonicalType(resource.resourceType)) return
  const r = resource as CanonicalResource
  if (!r.url) return
  const holder = resolveCanonical(resource.resourceType, `${r.url}|${r.version ?? ''}`)
  if (holder?.id && holder.id !== id && isInstalled(resource.resourceType, holder.id)) {
    throw unprocessable(
      `${r.url}${r.version ? `|${r.version}` : ''} is already defined by CaseHub (${resource.resourceType}/${holder.id}); use another url or version`,
      `${path}.url`,
    )
  }
}
