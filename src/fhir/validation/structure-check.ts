/**
 * Layer 2: the base R4 StructureDefinitions, checked with precomputed
 * per-type plans (structure-plans.ts) instead of @medplum/core's
 * validateResource, which wraps every element of every type it visits in a
 * typed value and costs ~20 times as much.
 *
 * The rules, and the order, locations and wording of the issues, are those
 * of medplum's validator (typeschema/validation.ts in @medplum/core 4.5),
 * so that a resource is accepted or rejected exactly as before, with the
 * same OperationOutcome (structure-check.test.ts compares the two):
 *
 * - required elements (min >= 1), where an empty value ('', {}, []) counts
 *   as missing and a primitive given only by its `_x` extension counts as
 *   present; the number of values against min/max (never binding for the
 *   base definitions, which have no min > 1 or bounded max > 1);
 * - an array where a single value belongs and the reverse;
 * - the invariants declared on elements (pat-1 on Patient.contact, ext-1 on
 *   every extension, ...) and on the root resource, evaluated with medplum's
 *   FHIRPath engine (ext-1 in code), where an empty result counts as not met;
 * - primitive values: JSON type, integer ranges, strings that are blank or
 *   longer than 1 MB; the id and extensions of primitives (`_x`) are
 *   checked as Elements;
 * - null values (allowed only in a primitive array whose `_x` array has an
 *   item at the same index, and the reverse);
 * - keys that name no element, including the non-R4 differences of the
 *   shipped definitions (modifierExtension on Element-typed parts of data
 *   types, EvidenceVariable.characteristic);
 * - warnings: references to a resource type the element does not allow, and
 *   the `_x` of a choice element not matching its value's type.
 *
 * Not reproduced, because profile-check.ts drops them anyway: medplum's own
 * regexes for primitive formats (the R4 JSON schema checks the R4 ones) and
 * "conflicting choice" warnings (invariant-check.ts reports an error).
 *
 * Issues are produced in medplum's form and converted by profile-check.ts's
 * `fromMedplumIssues`, as medplum's own issues were. Validation against
 * other StructureDefinitions (profiles) stays with profile-check.ts.
 */
import {
  evalFhirPathTyped,
  fhirTypeToJsType,
  isEmpty,
  isReference,
  isResource,
  parseFhirPath,
  toTypedValue,
  UCUM,
  type TypedValue,
} from '@medplum/core'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { runMedplumCheck } from './profile-check.js'
import { choiceElementOf, structurePlan, type ElementPlan, type PlanConstraint, type StructurePlan } from './structure-plans.js'
import { exists, isMetWithout, readElement, type FoundValue } from './structure-values.js'
import { at, checkNulls, issue, numberProblem, stringProblem } from './structure-issues.js'

const UCUM_VALUE = toTypedValue(UCUM)
const HL7_BASE = 'http://hl7.org/fhir/StructureDefinition/'
const MEDPLUM_BASE = 'https://medplum.com/fhir/StructureDefinition/'

type ParsedExpression = ReturnType<typeof parseFhirPath>
const parsedExpressions = new Map<string, ParsedExpression>()

function parsed(expression: string): ParsedExpression {
  let atom = parsedExpressions.get(expression)
  if (!atom) {
    atom = parseFhirPath(expression)
    parsedExpressions.set(expression, atom)
  }
  return atom
}

const byNumber = (a: number, b: number) => a - b

class StructureWalker {
  readonly issues: OperationOutcomeIssue[] = []
  /** Enclosing resources, innermost last (%resource). */
  private readonly resources: unknown[] = []
  private readonly root: TypedValue

  constructor(root: TypedValue) {
    this.root = root
    this.resources.push(root.value)
  }

  run(plan: StructurePlan, nulls: boolean): OperationOutcomeIssue[] {
    this.checkConstraints(this.root, plan.constraints, plan.path, '', -1)
    if (nulls) checkNulls(this.root.value as Record<string, unknown>, plan.path, this.issues)
    this.visitObject(this.root.value, plan, plan.path, plan.path)
    return this.issues
  }

  /**
   * Visits one value of a complex type. `path` is its location with indexes
   * (Patient.name[0]); `crawlPath` is the location medplum's crawler passes
   * along, without the indexes of arrays (Patient.name), where it reports
   * arrays in the wrong place.
   */
  private visitObject(value: unknown, plan: StructurePlan, path: string, crawlPath: string): void {
    const entered = isResource(value)
    if (entered) this.resources.push(value)
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !plan.keysShared) {
      this.visitKeys(value as Record<string, unknown>, plan, path, crawlPath)
    } else {
      this.visitElements(value, plan, path, crawlPath)
    }
    if (entered) this.resources.pop()
  }

  /**
   * The elements of a JSON object, found from its keys: only the elements
   * with a key in the object and the required ones are read, in definition
   * order, and the full key check runs only when some key needs it.
   */
  private visitKeys(object: Record<string, unknown>, plan: StructurePlan, path: string, crawlPath: string): void {
    const present: number[] = []
    let last = -1
    let unsorted = false
    let checkKeys = false
    for (const key of Object.keys(object)) {
      const info = plan.keys.get(key)
      if (info === undefined) {
        if (key !== 'resourceType') checkKeys = true
        continue
      }
      if (info.check) checkKeys = true
      const index = info.index
      if (index > last) {
        present.push(index)
        last = index
      } else if (!present.includes(index)) {
        present.push(index)
        unsorted = true
      }
    }
    if (unsorted) present.sort(byNumber)
    const required = plan.required
    const found: boolean[] | undefined = checkKeys && plan.keyChoices ? [] : undefined
    let p = 0
    let r = 0
    while (p < present.length || r < required.length) {
      let index: number
      if (r >= required.length || (p < present.length && present[p] < required[r])) {
        index = present[p++]
      } else if (p >= present.length || required[r] < present[p]) {
        index = required[r++]
      } else {
        index = present[p++]
        r++
      }
      const element = plan.elements[index]
      const value = readElement(object, element)
      if (!value) {
        if (element.min > 0) this.issues.push(issue('error', 'structure', 'Missing required property', `${path}.${element.name}`))
        continue
      }
      if (found) found[index] = true
      this.visitElement(value, element, path, crawlPath)
    }
    if (checkKeys) this.checkKeys(object, plan, path, found)
  }

  /** The elements of any value, read one by one as medplum does (values that are not plain objects). */
  private visitElements(value: unknown, plan: StructurePlan, path: string, crawlPath: string): void {
    const elements = plan.elements
    let present: boolean[] | undefined
    for (let i = 0; i < elements.length; i++) {
      const element = elements[i]
      const found = readElement(value, element)
      if (!found) {
        if (element.min > 0) this.issues.push(issue('error', 'structure', 'Missing required property', `${path}.${element.name}`))
        continue
      }
      if (plan.keyChoices) (present ??= [])[i] = true
      this.visitElement(found, element, path, crawlPath)
    }
    this.checkKeys(value, plan, path, present)
  }

  /** One element of the object at `parent` (`parentCrawl` in medplum's crawler paths) that has a value. */
  private visitElement(found: FoundValue, element: ElementPlan, parent: string, parentCrawl: string): void {
    const { key, value } = found
    const name = element.name
    const isArray = Array.isArray(value)
    let shapeOk = true
    if (element.isArray && !isArray) {
      this.issues.push(issue('error', 'structure', 'Expected array of values for property', `${parentCrawl}.${name}`))
      shapeOk = false
    } else if (!element.isArray && isArray) {
      this.issues.push(issue('error', 'structure', 'Expected single value for property', `${parentCrawl}.${name}`))
      shapeOk = false
    }
    const items: unknown[] = isArray ? value : [value]
    if (shapeOk) {
      const count = items.length
      if (count < element.min || count > element.max) {
        const max = Number.isFinite(element.max) ? element.max : '*'
        this.issues.push(
          issue('error', 'structure', `Invalid number of values: expected ${element.min}..${max}, but found ${count}`, element.definitionPath),
        )
      }
      for (let i = 0; i < items.length; i++) {
        const item = items[i]
        const index = isArray ? i : -1
        const type = key.type === 'Resource' && isResource(item) ? item.resourceType : key.type
        if (element.constraints.length > 0) this.checkConstraints({ type, value: item }, element.constraints, parent, name, index)
        if (type === 'Reference' && element.referenceTargets) this.checkReferenceType(item, element.referenceTargets, parent, name, index)
        if (key.primitive) this.checkPrimitive(item, type, parent, name, index)
        else if (isEmpty(item)) this.issues.push(issue('error', 'structure', 'Invalid empty non-primitive value', at(parent, name, index)))
      }
    }
    if (key.primitive) return
    const path = `${parent}.${name}`
    const crawlPath = `${parentCrawl}.${name}`
    for (let i = 0; i < items.length; i++) {
      const item = items[i]
      let plan: StructurePlan
      if (key.type === 'Resource') plan = structurePlan(isResource(item) ? item.resourceType : 'Resource')
      else plan = key.plan ??= structurePlan(key.type)
      this.visitObject(item, plan, isArray ? `${path}[${i}]` : path, crawlPath)
    }
  }

  /**
   * Constraints of an element or of the root, at `at(parent, name, index)`
   * (`parent` itself when `name` is empty); the first one not met is reported.
   */
  private checkConstraints(value: TypedValue, constraints: PlanConstraint[], parent: string, name: string, index: number): void {
    const path = () => (name ? at(parent, name, index) : parent)
    for (const constraint of constraints) {
      if (constraint.metWithout && isMetWithout(value.value, constraint.metWithout)) continue
      const met = constraint.native === 'ext-1' && value.type === 'Extension' ? this.ext1(value.value) : this.evaluate(constraint, value, path)
      if (!met) {
        this.issues.push(issue('error', 'invariant', `Constraint ${constraint.key} not met: ${constraint.description}`, path()))
        return
      }
    }
  }

  /** ext-1: extension.exists() != value.exists() */
  private ext1(value: unknown): boolean {
    const plan = structurePlan('Extension')
    const hasExtensions = exists(value, plan.elements[plan.extensionIndex as number])
    const hasValue = exists(value, plan.elements[plan.valueIndex as number])
    return hasExtensions !== hasValue
  }

  private evaluate(constraint: PlanConstraint, value: TypedValue, path: () => string): boolean {
    const variables: Record<string, TypedValue> = { '%context': value, '%ucum': UCUM_VALUE }
    if (this.resources.length > 0) variables['%resource'] = toTypedValue(this.resources[this.resources.length - 1])
    if (isResource(this.root.value)) variables['%rootResource'] = this.root
    try {
      const result = evalFhirPathTyped(parsed(constraint.expression), [value], variables)
      return result.length === 1 && result[0].value === true
    } catch {
      this.issues.push(issue('error', 'processing', 'Error evaluating invariant expression', path()))
      return false
    }
  }

  /** Warning for a reference to a resource type the element does not allow. */
  private checkReferenceType(value: unknown, targets: string[], parent: string, name: string, index: number): void {
    if (!isReference(value)) return
    const reference = value.reference
    if (reference.startsWith('#')) return
    const type = reference.includes('?') ? reference.split('?')[0] : reference.split('/')[0]
    if (!type) return
    for (const target of targets) {
      if (target === HL7_BASE + 'Resource' || target === HL7_BASE + type || target === MEDPLUM_BASE + type) return
      // A profile outside FHIR's and medplum's cannot be checked.
      if (!target.startsWith(HL7_BASE) && !target.startsWith(MEDPLUM_BASE)) return
    }
    const text = `Invalid reference: got "${type}", expected "${targets.join('", "')}"`
    this.issues.push(issue('warning', 'structure', text, at(parent, name, index)))
  }

  /** A primitive value and, when it has any, its id and extensions (checked as an Element). */
  private checkPrimitive(value: unknown, type: string, parent: string, name: string, index: number): void {
    if (typeof value === 'string') {
      // The common case, without extensions.
      if (type in fhirTypeToJsType && fhirTypeToJsType[type as keyof typeof fhirTypeToJsType] === 'string') {
        const problem = stringProblem(value)
        if (problem) this.issues.push(issue('error', 'structure', problem, at(parent, name, index)))
        return
      }
    }
    const path = at(parent, name, index)
    let primitive: unknown
    let hasPrimitive = true
    let extension: unknown
    if (typeof value === 'object' && value) {
      const unwrapped = value.valueOf()
      if (unwrapped === value) {
        hasPrimitive = false
        extension = value
      } else {
        primitive = unwrapped
        const own = new Set(Object.keys(unwrapped as object))
        const entries = Object.entries(value).filter(([k]) => !own.has(k))
        extension = entries.length > 0 ? Object.fromEntries(entries) : undefined
      }
    } else {
      primitive = value
    }
    if (hasPrimitive) {
      if (!(type in fhirTypeToJsType)) {
        this.issues.push(issue('error', 'structure', `Invalid JSON type: ${type} is not a valid FHIR type`, path))
        return
      }
      const expected = fhirTypeToJsType[type as keyof typeof fhirTypeToJsType]
      if (typeof primitive !== expected) {
        if (primitive !== null) {
          this.issues.push(issue('error', 'structure', `Invalid JSON type: expected ${expected}, but got ${typeof primitive}`, path))
        }
        return
      }
      if (expected === 'string') {
        const problem = stringProblem(primitive as string)
        if (problem) this.issues.push(issue('error', 'structure', problem, path))
      } else if (expected === 'number') {
        const problem = numberProblem(primitive as number, type)
        if (problem) this.issues.push(issue('error', 'structure', problem, path))
      }
    }
    if (extension) this.visitObject(extension, structurePlan('Element'), path, path)
  }

  /**
   * Keys that name no element of the type, and the `_x` of a choice element
   * that does not match its value's type. `present[i]` is true when element
   * i has a value (recorded for types with choice elements only).
   */
  private checkKeys(value: unknown, plan: StructurePlan, path: string, present: boolean[] | undefined): void {
    if (!value) return
    let choices: Record<string, string> | undefined
    for (const key of Object.keys(value)) {
      if (key === 'resourceType') continue
      let choice: string | null | undefined
      if (plan.keyChoices) {
        choice = plan.keyChoices.get(key)
        if (choice === undefined) choice = choiceElementOf(plan, key)
        // A choice key counts as one only while its element has a value.
        if (choice !== null && !present?.[plan.choiceIndex.get(choice) as number]) choice = null
      }
      if (choice) {
        const name = key.startsWith('_') ? '_' + choice : choice
        const related = key.startsWith('_') ? choice : '_' + choice
        const expected = key.startsWith('_') ? key.slice(1) : '_' + key
        choices ??= {}
        if (related in choices && choices[related] !== expected) {
          this.issues.push(
            issue('warning', 'structure', `Type of primitive extension does not match the type of property "${choice}"`, name),
          )
        }
        choices[name] = key
        continue
      }
      if (!(key in plan.elementMap) && !(key.startsWith('_') && key.slice(1) in plan.elementMap)) {
        this.issues.push(issue('error', 'structure', `Invalid additional property "${key}"`, `${path}.${key}`))
      }
    }
  }
}

export interface StructureCheckOptions {
  /** False when the caller knows the resource holds no null (skips that check); default true. */
  hasNulls?: boolean
}

/**
 * Checks a resource of a known R4 type against the base R4 definitions.
 * Never throws: a failure inside the check is reported as an 'exception'
 * issue, like profile-check.ts does.
 */
export function structureCheck(resource: object, resourceType: string, opts?: StructureCheckOptions): OperationOutcomeIssue[] {
  return runMedplumCheck(resource, resourceType, () =>
    new StructureWalker({ type: resourceType, value: resource }).run(structurePlan(resourceType), opts?.hasNulls ?? true),
  )
}
