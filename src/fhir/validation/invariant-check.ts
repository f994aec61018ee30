/**
 * R4 rules that @medplum/core's validateResource does not check:
 *
 * - Invariants declared on data types (per-1 on Period, qty-3 on Quantity,
 *   ref-1 on Reference, rng-2 on Range, att-1 on Attachment, ...). Medplum
 *   only evaluates the constraints of the element definitions of the resource,
 *   and R4 snapshots do not copy type-level invariants onto those elements.
 * - Invariants declared on the root of embedded resources (contained
 *   resources, Bundle.entry.resource, Parameters.parameter.resource).
 * - At most one type of a choice element (value[x]) may be present; medplum
 *   only reports this as a warning, at a location without its parent path.
 * - org-1 and dom-3, which medplum skips on purpose (backwards compatibility
 *   and cost). dom-3 is checked without FHIRPath, see contained-references.ts.
 * - per-1 and mdd-1 compare date-times; medplum's FHIRPath compares them as
 *   text, which rejects valid data (see dates.ts), so they are checked
 *   in TypeScript.
 *
 * A constraint fails only when its expression evaluates to false. An empty
 * result counts as met: R4's ref-1 evaluates to empty for a Reference with
 * only a display or identifier, which is valid (later FHIR versions fixed the
 * expression with `reference.exists() implies ...`).
 *
 * The resource is walked as plain JSON, driven by per-type plans (see
 * invariant-plans.ts): only values of complex types are visited, in the same
 * order and with the same types as medplum's typed crawler would, without
 * building a typed wrapper for every property.
 */
import { evalFhirPathTyped, getDataType, parseFhirPath, toTypedValue, UCUM, type TypedValue } from '@medplum/core'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { unreferencedContained } from './contained-references.js'
import { isCertainlyAfter } from './dates.js'
import { typePlan, type TypePlan } from './invariant-plans.js'
import { errorIssue, makeIssue, resolveChoiceExpression } from './issues.js'

/** Constraints of @medplum/core's own checks that this file replaces (see profile-check.ts). */
export const REPLACED_CONSTRAINTS: ReadonlySet<string> = new Set(['mdd-1'])

const UCUM_VALUE = toTypedValue(UCUM)

/**
 * For frequent invariants of the form `a or b`, a condition in plain code
 * under which `a` or `b` is certainly true: when it holds, the FHIRPath
 * evaluation (the expensive part) is skipped.
 */
const TRIVIALLY_MET: Readonly<Record<string, (value: Record<string, unknown>) => boolean>> = {
  // reference.startsWith('#').not() or ...
  'ref-1': (v) => !(typeof v.reference === 'string' && v.reference.startsWith('#')),
  // code.empty() or system.exists()
  'qty-3': (v) => v.code === undefined || (isText(v.system) && v._system === undefined && v._code === undefined),
  // value.empty() or system.exists()
  'cpt-2': (v) => v.value === undefined || (isText(v.system) && v._system === undefined && v._value === undefined),
  // data.empty() or contentType.exists()
  'att-1': (v) => v.data === undefined || (isText(v.contentType) && v._contentType === undefined && v._data === undefined),
}

/**
 * A non-empty string: `x.exists()` is true. The shortcuts above also require
 * that no `_x` extension is involved (a malformed one makes the FHIRPath
 * evaluation fail, which is reported).
 */
function isText(value: unknown): boolean {
  return typeof value === 'string' && value !== ''
}

type ParsedExpression = ReturnType<typeof parseFhirPath>
const parsedExpressions = new Map<string, ParsedExpression | Error>()

function parse(expression: string): ParsedExpression | Error {
  let parsed = parsedExpressions.get(expression)
  if (!parsed) {
    try {
      parsed = parseFhirPath(expression)
    } catch (err) {
      parsed = err instanceof Error ? err : new Error(String(err))
    }
    parsedExpressions.set(expression, parsed)
  }
  return parsed
}

interface ResourceScope {
  resource: TypedValue
  rootResource: TypedValue
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object'
}

/** Same test as medplum's isResource: a truthy object with a resourceType key. */
function isResourceValue(value: unknown): value is Record<string, unknown> {
  return isObject(value) && 'resourceType' in value
}

/** Same test as medplum's isEmpty, which decides whether a property is visited. */
function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true
  if (typeof value !== 'object') return false
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0
}

class InvariantWalker {
  readonly issues: OperationOutcomeIssue[] = []
  /** Enclosing resources, innermost last. */
  private readonly resources: ResourceScope[] = []

  /**
   * Visits one value of a complex type or resource. `inContained` is true when
   * the value is an item of a `contained` element.
   */
  visit(value: unknown, type: string, path: string, isRoot: boolean, inContained: boolean): void {
    const plan = typePlan(type)
    let enteredResource = false
    if (isResourceValue(value)) {
      // %rootResource is the resource that contains a contained resource; any
      // other resource (the root, a Bundle entry) is its own %rootResource.
      const parent = this.resources[this.resources.length - 1]
      const typed: TypedValue = { type, value }
      const isContained = parent !== undefined && inContained
      this.resources.push({ resource: typed, rootResource: isContained ? parent.rootResource : typed })
      enteredResource = true
    }
    this.checkObject(value, type, plan, path, isRoot, enteredResource)
    if (value) {
      for (const child of plan.children) this.visitChild(value as Record<string, unknown>, child, path, plan)
    }
    if (enteredResource) this.resources.pop()
  }

  private visitChild(object: Record<string, unknown>, child: TypePlan['children'][number], path: string, plan: TypePlan): void {
    for (const candidate of child.keys) {
      const found = object[candidate.key]
      if (found === undefined && object[candidate.extensionKey] === undefined) continue
      // The first key present decides the type; primitives are not visited.
      if (candidate.primitive || isEmptyValue(found)) return
      const childPath = `${path}.${child.name}`
      const inContained = plan.isResource && child.name === 'contained'
      if (Array.isArray(found)) {
        for (let i = 0; i < found.length; i++) this.visitTyped(found[i], candidate.type, `${childPath}[${i}]`, inContained)
      } else {
        this.visitTyped(found, candidate.type, childPath, inContained)
      }
      return
    }
  }

  private visitTyped(value: unknown, type: string, path: string, inContained: boolean): void {
    // An element of type Resource takes the type of the resource it holds.
    const actual = type === 'Resource' && isResourceValue(value) ? (value.resourceType as string) : type
    this.visit(value, actual, path, false, inContained)
  }

  private checkObject(value: unknown, type: string, plan: TypePlan, path: string, isRoot: boolean, enteredResource: boolean): void {
    const schema = plan.schema
    if (isObject(value) && plan.choiceOf.size > 0) this.checkChoices(value, plan.choiceOf, path)
    if (schema.kind === 'complex-type' || (schema.kind === 'resource' && !isRoot)) {
      for (const c of plan.constraints) this.evaluate(value, type, path, c.key, c.expression, c.description)
    }
    if (schema.kind === 'resource') {
      if (schema.type === 'Organization') {
        const org1 = (getDataType('Organization').constraints ?? []).find((c) => c.key === 'org-1')
        if (org1) this.evaluate(value, type, path, org1.key, org1.expression, org1.description)
      }
      // dom-3 applies to each resource that can have contained resources.
      const enclosing = this.resources[this.resources.length - 1]
      if (enteredResource && enclosing.rootResource === enclosing.resource) {
        this.issues.push(...unreferencedContained(value, path))
      }
    }
    if (isObject(value)) this.checkDateOrder(value, schema.kind, schema.type, path)
  }

  /** per-1 and mdd-1, with time zones and precision taken into account. */
  private checkDateOrder(object: Record<string, unknown>, kind: string | undefined, type: string, path: string): void {
    if (kind === 'complex-type' && type === 'Period' && isCertainlyAfter(object.start, object.end)) {
      this.issues.push(
        errorIssue('invariant', 'Constraint per-1 not met: If present, start SHALL have a lower value than end', path),
      )
    }
    if (kind === 'resource' && type === 'MedicationDispense' && isCertainlyAfter(object.whenPrepared, object.whenHandedOver)) {
      this.issues.push(
        errorIssue('invariant', 'Constraint mdd-1 not met: whenHandedOver cannot be before whenPrepared', path),
      )
    }
  }

  private evaluate(value: unknown, type: string, path: string, key: string, expression: string, description: string): void {
    const shortcut = TRIVIALLY_MET[key]
    if (shortcut && isObject(value) && shortcut(value)) return
    const parsed = parse(expression)
    if (parsed instanceof Error) return
    const context: TypedValue = { type, value }
    const variables: Record<string, TypedValue> = { '%context': context, '%ucum': UCUM_VALUE }
    const enclosing = this.resources[this.resources.length - 1]
    if (enclosing) {
      variables['%resource'] = enclosing.resource
      variables['%rootResource'] = enclosing.rootResource
    }
    try {
      const result = evalFhirPathTyped(parsed, [context], variables)
      if (result.length !== 1 || result[0].value !== false) return
      this.issues.push(errorIssue('invariant', `Constraint ${key} not met: ${description}`, path))
    } catch (err) {
      // An expression that cannot be evaluated proves nothing about the data.
      const message = err instanceof Error ? err.message : String(err)
      this.issues.push(makeIssue('warning', 'processing', `Could not evaluate constraint ${key}: ${message}`, path))
    }
  }

  /** At most one type of each choice element may be present. */
  private checkChoices(object: Record<string, unknown>, choiceOf: Map<string, string>, path: string): void {
    let found: Map<string, string[]> | undefined
    for (const key of Object.keys(object)) {
      const name = key.startsWith('_') ? key.slice(1) : key
      const choice = choiceOf.get(name)
      if (!choice) continue
      found ??= new Map()
      const keys = found.get(choice) ?? []
      if (!keys.includes(name)) keys.push(name)
      found.set(choice, keys)
    }
    for (const [choice, keys] of found ?? []) {
      if (keys.length < 2) continue
      this.issues.push(
        errorIssue('structure', `Only one type of ${choice} may be present, found ${keys.join(', ')}`, `${path}.${keys[1]}`),
      )
    }
  }
}

/** Checks the rules listed at the top of this file. Never throws. */
export function invariantCheck(resource: object, resourceType: string): OperationOutcomeIssue[] {
  try {
    const walker = new InvariantWalker()
    walker.visit(resource, resourceType, resourceType, true, false)
    return walker.issues.map((issue) => ({
      ...issue,
      expression: issue.expression?.map((e) => resolveChoiceExpression(e, resource)),
    }))
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    return [errorIssue('exception', `Could not check the resource invariants: ${message}`, resourceType)]
  }
}
