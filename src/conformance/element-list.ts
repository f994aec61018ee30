/**
 * Finding and inserting elements in a snapshot's flat, ordered element list.
 *
 * R4 elementdefinition.html#id: an element id is its path with the slice name
 * of each sliced segment appended after a colon
 * ("Patient.identifier:nhsNumber.system"); its path is the id without the
 * slice names ("Patient.identifier.system"). profiling.html#snapshot: the
 * snapshot lists an element, then its children, then each of its slices
 * (the slice entry followed by the slice's own children).
 */
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes'

export class SnapshotError extends Error {
  override name = 'SnapshotError'
}

/** "Patient.identifier:nhsNumber.system" -> "Patient.identifier.system". */
export function pathOfId(id: string): string {
  return id
    .split('.')
    .map((segment) => segment.split(':')[0])
    .join('.')
}

export function indexOfId(elements: ElementDefinition[], id: string): number {
  return elements.findIndex((element) => element.id === id)
}

/** True when `id` is inside the element `ancestor` (a child or a slice of it, at any depth). */
export function isWithin(id: string, ancestor: string): boolean {
  return id.startsWith(ancestor + '.') || id.startsWith(ancestor + ':')
}

/** The index just after the element at `index`, its children and its slices. */
export function endOfFamily(elements: ElementDefinition[], index: number): number {
  const id = elements[index].id ?? ''
  let end = index + 1
  while (end < elements.length && isWithin(elements[end].id ?? '', id)) end++
  return end
}

/** True when the element at `index` already has children listed after it. */
export function hasChildren(elements: ElementDefinition[], index: number): boolean {
  const next = elements[index + 1]?.id
  return next !== undefined && next.startsWith((elements[index].id ?? '') + '.')
}

/**
 * The children of a data type (or of a type profile such as an extension
 * definition), re-rooted under the element at `index`: ids and paths get
 * the element's id and path as prefix; `base` keeps pointing at the type's
 * definition, as the spec's own snapshots do for expanded data types.
 */
export function typeChildren(elements: ElementDefinition[], index: number, typeDefinition: StructureDefinition): ElementDefinition[] {
  const parent = elements[index]
  const typeElements = typeDefinition.snapshot?.element ?? []
  const root = typeElements[0]
  if (!root?.id || !root.path) throw new SnapshotError(`${typeDefinition.url} has no snapshot`)
  return typeElements.slice(1).map((element) => {
    const copy = structuredClone(element)
    copy.id = (parent.id ?? '') + (element.id ?? '').slice(root.id!.length)
    copy.path = (parent.path ?? '') + (element.path ?? '').slice(root.path!.length)
    return copy
  })
}

/** Parses a cardinality maximum: '*' is Infinity. */
export function maxValue(max: string | undefined): number {
  return max === undefined || max === '*' ? Infinity : Number(max)
}
