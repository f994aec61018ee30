// A small local terminology for the operation tests: a hierarchy by nesting and by `parent`
// properties, an inactive and an abstract concept, designations, and value sets that import,
// exclude and filter.
import type { CodeSystem, Parameters, ValueSet } from '@medplum/fhirtypes'
import { TerminologyIndex } from '../../src/terminology/index.js'

export const SHAPES = 'http://example.org/fhir/CodeSystem/shapes'
export const SCT = 'http://snomed.info/sct'
export const vsUrl = (id: string) => `http://example.org/fhir/ValueSet/${id}`

export const shapes: CodeSystem = {
  resourceType: 'CodeSystem',
  id: 'shapes',
  url: SHAPES,
  version: '2.0.0',
  name: 'Shapes',
  status: 'active',
  content: 'complete',
  hierarchyMeaning: 'is-a',
  property: [
    { code: 'parent', type: 'code' },
    { code: 'sides', type: 'integer' },
    { code: 'notSelectable', type: 'boolean' },
    { code: 'status', type: 'code' },
  ],
  concept: [
    {
      code: 'shape', display: 'Shape', property: [{ code: 'notSelectable', valueBoolean: true }],
      concept: [
        { code: 'polygon', display: 'Polygon', definition: 'A closed figure with straight sides', concept: [
          { code: 'triangle', display: 'Triangle', property: [{ code: 'sides', valueInteger: 3 }] },
          { code: 'quadrilateral', display: 'Quadrilateral', property: [{ code: 'sides', valueInteger: 4 }], designation: [{ language: 'en', value: 'Quadrangle' }] },
        ] },
        { code: 'round', display: 'Round shape', concept: [{ code: 'circle', display: 'Circle' }] },
      ],
    },
    // hierarchy by property instead of nesting
    { code: 'square', display: 'Square', property: [{ code: 'parent', valueCode: 'quadrilateral' }, { code: 'sides', valueInteger: 4 }] },
    { code: 'ellipse', display: 'Old ellipse', property: [{ code: 'parent', valueCode: 'round' }, { code: 'status', valueCode: 'retired' }] },
  ],
}

export const shapesV1: CodeSystem = { ...shapes, version: '1.0.0', concept: [{ code: 'shape', display: 'Shape (v1)' }] }

const vs = (id: string, compose: ValueSet['compose']): ValueSet => ({ resourceType: 'ValueSet', id, url: vsUrl(id), version: '1', status: 'active', compose })

export const valueSets: ValueSet[] = [
  vs('all-shapes', { include: [{ system: SHAPES }] }),
  vs('polygons', { include: [{ system: SHAPES, filter: [{ property: 'concept', op: 'is-a', value: 'polygon' }] }] }),
  vs('below-polygon', { include: [{ system: SHAPES, filter: [{ property: 'concept', op: 'descendent-of', value: 'polygon' }] }] }),
  vs('not-polygons', { include: [{ system: SHAPES, filter: [{ property: 'concept', op: 'is-not-a', value: 'polygon' }] }] }),
  vs('four-sided', { include: [{ system: SHAPES, filter: [{ property: 'sides', op: '=', value: '4' }] }] }),
  vs('tri-or-circle', { include: [{ system: SHAPES, filter: [{ property: 'concept', op: 'in', value: 'triangle,circle' }] }] }),
  vs('r-codes', { include: [{ system: SHAPES, filter: [{ property: 'code', op: 'regex', value: 'r.*' }] }] }),
  vs('children-of-round', { include: [{ system: SHAPES, filter: [{ property: 'parent', op: '=', value: 'round' }] }] }),
  vs('round-polygons', { include: [{ valueSet: [vsUrl('polygons'), vsUrl('four-sided')] }] }),
  vs('shapes-but-polygons', { include: [{ system: SHAPES }], exclude: [{ valueSet: [vsUrl('polygons')] }] }),
  vs('active-shapes', { inactive: false, include: [{ system: SHAPES }] }),
  vs('hearts', { include: [{ system: SCT, concept: [{ code: '84114007', display: 'Heart failure' }, { code: '42343007', display: 'Congestive heart failure' }] }] }),
  vs('hearts-and-polygons', { include: [{ valueSet: [vsUrl('hearts')] }, { valueSet: [vsUrl('polygons')] }], exclude: [{ system: SCT, concept: [{ code: '42343007' }] }] }),
  vs('all-loinc', { include: [{ system: 'http://loinc.org' }], exclude: [{ system: 'http://loinc.org', concept: [{ code: '1-8' }] }] }),
  vs('pinned-v1', { include: [{ system: SHAPES, version: '1.0.0' }] }),
  vs('pinned-v9', { include: [{ system: SHAPES, version: '9' }] }),
  vs('bad-filter-sct', { include: [{ system: SCT, filter: [{ property: 'concept', op: 'is-a', value: '84114007' }] }] }),
  vs('loop-a', { include: [{ valueSet: [vsUrl('loop-b')] }] }),
  vs('loop-b', { include: [{ valueSet: [vsUrl('loop-a')] }] }),
]

export const fixtureIndex = () => new TerminologyIndex([shapesV1, shapes, ...valueSets])

/** Parameters from name → value pairs: strings as valueString (as from a GET), others typed. */
export function params(values: Record<string, unknown>): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: Object.entries(values).map(([name, v]) => {
      if (typeof v === 'string') return { name, valueString: v }
      if (typeof v === 'boolean') return { name, valueBoolean: v }
      if (typeof v === 'number') return { name, valueInteger: v }
      const o = v as Record<string, unknown>
      if (o.resourceType) return { name, resource: o as never }
      return o.coding ? { name, valueCodeableConcept: o } : { name, valueCoding: o }
    }),
  }
}

export const out = (p: Parameters, name: string) => {
  const found = p.parameter?.find((x) => x.name === name)
  return found && (found.valueBoolean ?? found.valueString ?? found.valueCode)
}

/** The FhirError `fn` throws ({} when it does not throw), for t.match on status and outcome. */
export function failure(fn: () => unknown): { status?: number; outcome?: unknown } {
  try {
    fn()
  } catch (err) {
    return err as { status: number; outcome: unknown }
  }
  return {}
}
