/**
 * dom-3: a contained resource SHALL be referred to from elsewhere in the
 * resource, or SHALL refer to the containing resource ('#').
 *
 * @medplum/core skips dom-3 (its FHIRPath walks all descendants several
 * times). It is checked here on the plain JSON: any string value '#id'
 * anywhere in the containing resource counts as a reference to the contained
 * resource with that id (a Reference.reference, canonical or uri value).
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { errorIssue } from './issues.js'

/** All string values starting with '#' in the value, found without recursion. */
function localReferences(root: unknown): Set<string> {
  const found = new Set<string>()
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const current = stack.pop()
    if (typeof current === 'string') {
      if (current.startsWith('#')) found.add(current)
    } else if (Array.isArray(current)) {
      for (const item of current) stack.push(item)
    } else if (current !== null && typeof current === 'object') {
      for (const item of Object.values(current)) stack.push(item)
    }
  }
  return found
}

/**
 * Issues for the contained resources of `resource` that nothing refers to.
 * `path` is the location of the containing resource. Contained resources
 * without an id are left to the other checks (dom-3 does not apply to them).
 */
export function unreferencedContained(resource: unknown, path: string): OperationOutcomeIssue[] {
  const contained = (resource as Record<string, unknown> | null)?.contained
  if (!Array.isArray(contained) || contained.length === 0) return []
  const references = localReferences(resource)
  const issues: OperationOutcomeIssue[] = []
  contained.forEach((item: unknown, index) => {
    const id = (item as Record<string, unknown> | null)?.id
    if (typeof id !== 'string' || references.has(`#${id}`)) return
    // A contained resource may instead refer to its container.
    if (localReferences(item).has('#')) return
    issues.push(
      errorIssue(
        'invariant',
        `Constraint dom-3 not met: contained resource '${id}' is not referred to from elsewhere in the resource`,
        `${path}.contained[${index}]`,
      ),
    )
  })
  return issues
}
