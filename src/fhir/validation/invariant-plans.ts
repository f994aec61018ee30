/**
 * Per-type walking plans for invariant-check.ts, computed once per FHIR type
 * from medplum's type schemas.
 *
 * The invariant walk only needs to descend into values of complex types
 * (constraints are never declared on primitive types, and medplum's typed
 * crawler does not descend into the `_x` extensions of primitives either), so
 * a plan lists, for each element that can hold a complex value, the JSON keys
 * to look at with their FHIR type. Elements that can only hold primitives are
 * left out: for most types that is the majority of the elements. A `_x` key
 * next to a complex element is not FHIR (the schema check rejects it) and is
 * not visited.
 */
import { getDataType, isPrimitiveType, type InternalTypeSchema } from '@medplum/core'

/**
 * Constraints not evaluated with FHIRPath: ele-1 is covered by the empty-value
 * checks and ext-1 is copied onto every extension element (both checked by
 * validateResource); dom-3, per-1 and mdd-1 are checked in TypeScript, and
 * org-1 is evaluated for every Organization (including the root) on its own.
 */
const SKIPPED_CONSTRAINTS = new Set(['ele-1', 'ext-1', 'dom-3', 'per-1', 'mdd-1', 'org-1'])

export interface PlanConstraint {
  key: string
  expression: string
  description: string
}

/** One JSON key an element may use, with the FHIR type of its value. */
export interface ChildKey {
  key: string
  /** `_` + key */
  extensionKey: string
  type: string
  primitive: boolean
}

export interface ChildElement {
  /** Element name as in the type schema ('value[x]'), used in locations. */
  name: string
  /**
   * Candidate keys in the order of the element's types: the first key present
   * (as `key` or `_key`) decides the value's type, as in medplum's crawler.
   */
  keys: ChildKey[]
}

export interface TypePlan {
  schema: InternalTypeSchema
  isResource: boolean
  /** Error constraints to evaluate with FHIRPath (complex types and resources only). */
  constraints: PlanConstraint[]
  /** JSON key of a choice element ('valueString') -> element name ('value[x]'). */
  choiceOf: Map<string, string>
  children: ChildElement[]
}

const plans = new Map<string, TypePlan>()

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function buildPlan(type: string): TypePlan {
  // Throws for unknown types, like medplum's crawler (reported as an exception issue).
  const schema = getDataType(type)
  const constraints: PlanConstraint[] = []
  if (schema.kind === 'complex-type' || schema.kind === 'resource') {
    for (const c of schema.constraints ?? []) {
      if (c.severity !== 'error' || SKIPPED_CONSTRAINTS.has(c.key)) continue
      constraints.push({ key: c.key, expression: c.expression, description: c.description })
    }
  }
  const choiceOf = new Map<string, string>()
  const children: ChildElement[] = []
  for (const [name, element] of Object.entries(schema.elements)) {
    const types = element.type ?? []
    if (name.endsWith('[x]')) {
      const base = name.slice(0, -3)
      for (const t of types) choiceOf.set(base + capitalize(t.code), name)
    }
    if (types.length === 0 || types.every((t) => isPrimitiveType(t.code))) continue
    // medplum reads the value with the last segment of the element path,
    // replacing [x] by each type in turn.
    const segment = element.path.slice(element.path.lastIndexOf('.') + 1)
    const keys = types.map((t) => {
      // Backbone elements carry their own type name as first type.
      const resolved = t.code === 'Element' || t.code === 'BackboneElement' ? types[0].code : t.code
      const key = segment.replace('[x]', capitalize(t.code))
      return { key, extensionKey: '_' + key, type: resolved, primitive: isPrimitiveType(resolved) }
    })
    children.push({ name, keys })
  }
  return { schema, isResource: schema.kind === 'resource', constraints, choiceOf, children }
}

/** The plan of a FHIR type, built on first use. */
export function typePlan(type: string): TypePlan {
  let plan = plans.get(type)
  if (!plan) {
    plan = buildPlan(type)
    plans.set(type, plan)
  }
  return plan
}
