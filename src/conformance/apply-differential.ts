/**
 * Applying one differential element to its snapshot element — R4
 * profiling.html#snapshot and profiling.html#cardinality: a profile may only
 * narrow what its base allows (min up, max down, fewer types, narrower
 * reference targets); constraints are added to the base's, with `source`
 * naming the profile that added them (elementdefinition.html#constraint);
 * any other property stated in the differential replaces the base's.
 */
import type { ElementDefinition, ElementDefinitionConstraint } from '@medplum/fhirtypes'
import { SnapshotError, maxValue } from './element-list.js'

/** Properties that hold a fixed or pattern value: fixedUri, patternCodeableConcept, ... */
const VALUE_KEY = /^(fixed|pattern)[A-Z]/

export function applyDifferential(target: ElementDefinition, diff: ElementDefinition, profileUrl: string): void {
  const where = `${profileUrl}#${diff.id}`
  const record = target as unknown as Record<string, unknown>
  for (const [key, value] of Object.entries(diff)) {
    if (key === 'id' || key === 'path') continue
    if (key === 'constraint') {
      target.constraint = mergeConstraints(target.constraint ?? [], value as ElementDefinitionConstraint[], profileUrl)
    } else if (key === 'min') {
      if ((value as number) < (target.min ?? 0)) throw new SnapshotError(`${where}: min ${value} is below the base's ${target.min}`)
      target.min = value as number
    } else if (key === 'max') {
      if (maxValue(value as string) > maxValue(target.max)) throw new SnapshotError(`${where}: max ${value} is above the base's ${target.max}`)
      target.max = value as string
    } else if (key === 'type') {
      checkTypes(target, diff, where)
      target.type = structuredClone(diff.type)
    } else {
      if (VALUE_KEY.test(key)) {
        for (const other of Object.keys(record)) if (VALUE_KEY.test(other)) delete record[other]
      }
      record[key] = structuredClone(value)
    }
  }
  if ((target.min ?? 0) > maxValue(target.max)) throw new SnapshotError(`${where}: min ${target.min} is above max ${target.max}`)
}

function mergeConstraints(
  base: ElementDefinitionConstraint[],
  added: ElementDefinitionConstraint[],
  profileUrl: string,
): ElementDefinitionConstraint[] {
  const result = structuredClone(base)
  for (const constraint of added) {
    const copy = { ...structuredClone(constraint), source: constraint.source ?? profileUrl }
    const existing = result.findIndex((c) => c.key === constraint.key)
    if (existing >= 0) result[existing] = copy
    else result.push(copy)
  }
  return result
}

/** Each type of the differential must be one of the base's (profiling.html#types). */
function checkTypes(target: ElementDefinition, diff: ElementDefinition, where: string): void {
  const baseCodes = new Set((target.type ?? []).map((type) => type.code))
  for (const type of diff.type ?? []) {
    if (!baseCodes.has(type.code)) throw new SnapshotError(`${where}: type ${type.code} is not allowed by the base`)
    const baseTargets = target.type?.find((t) => t.code === type.code)?.targetProfile
    for (const targetProfile of type.targetProfile ?? []) {
      const allowed =
        !baseTargets ||
        baseTargets.includes(targetProfile) ||
        baseTargets.includes('http://hl7.org/fhir/StructureDefinition/Resource') ||
        targetProfile.startsWith('https://')
      if (!allowed) throw new SnapshotError(`${where}: reference target ${targetProfile} is not allowed by the base`)
    }
  }
}
