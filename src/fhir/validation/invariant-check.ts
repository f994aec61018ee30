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
 * The resource is walked with medplum's typed crawler so that every value is
 * seen with its FHIR type.
 */
import {
  crawlTypedValue,
  evalFhirPathTyped,
  getDataType,
  parseFhirPath,
  toTypedValue,
  UCUM,
  type CrawlerVisitor,
  type InternalTypeSchema,
  type TypedValue,
  type TypedValueWithPath,
} from '@medplum/core'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { unreferencedContained } from './contained-references.js'
import { isCertainlyAfter } from './dates.js'
import { errorIssue, makeIssue, resolveChoiceExpression } from './issues.js'

/**
 * Constraints not evaluated with FHIRPath here: ele-1 is covered by the
 * empty-value checks and ext-1 is copied onto every extension element (both
 * checked by validateResource); dom-3, per-1 and mdd-1 are checked in
 * TypeScript below.
 */
const SKIPPED_CONSTRAINTS = new Set(['ele-1', 'ext-1', 'dom-3', 'per-1', 'mdd-1'])

/** Constraints of @medplum/core's own checks that this file replaces (see profile-check.ts). */
export const REPLACED_CONSTRAINTS: ReadonlySet<string> = new Set(['mdd-1'])

const UCUM_VALUE = toTypedValue(UCUM)

/**
 * For frequent invariants whose expression starts with a condition that makes
 * it true, that condition in plain code: when it holds the FHIRPath
 * evaluation (the expensive part) is skipped.
 */
const TRIVIALLY_MET: Readonly<Record<string, (value: Record<string, unknown>) => boolean>> = {
  // reference.startsWith('#').not() or ...
  'ref-1': (v) => !(typeof v.reference === 'string' && v.reference.startsWith('#')),
  // code.empty() or system.exists()
  'qty-3': (v) => v.code === undefined,
  // value.empty() or system.exists()
  'cpt-2': (v) => v.value === undefined,
  // data.empty() or contentType.exists()
  'att-1': (v) => v.data === undefined,
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

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

class InvariantVisitor implements CrawlerVisitor {
  readonly issues: OperationOutcomeIssue[] = []
  /** Enclosing resources: [%resource, %rootResource] for each nesting level. */
  private readonly resources: { resource: TypedValue; rootResource: TypedValue }[] = []

  constructor(private readonly rootPath: string) {}

  onEnterResource(_path: string, value: TypedValueWithPath): void {
    // %rootResource is the resource that contains a contained resource; any
    // other resource (the root, a Bundle entry) is its own %rootResource.
    const parent = this.resources[this.resources.length - 1]
    const isContained = parent !== undefined && /\.contained(\[\d+\])?$/.test(value.path)
    this.resources.push({ resource: value, rootResource: isContained ? parent.rootResource : value })
  }

  onExitResource(): void {
    this.resources.pop()
  }

  onEnterObject(_path: string, value: TypedValueWithPath, schema: InternalTypeSchema): void {
    this.checkChoices(value, schema)
    const isRoot = value.path === this.rootPath
    if (schema.kind === 'complex-type' || (schema.kind === 'resource' && !isRoot)) {
      this.checkConstraints(value, schema)
    }
    if (schema.kind === 'resource') {
      if (schema.type === 'Organization') this.checkOrg1(value)
      // dom-3 applies to each resource that can have contained resources.
      const enclosing = this.resources[this.resources.length - 1]
      if (enclosing?.resource === value && enclosing.rootResource === value) {
        this.issues.push(...unreferencedContained(value.value, value.path))
      }
    }
    this.checkDateOrder(value, schema)
  }

  /** per-1 and mdd-1, with time zones and precision taken into account. */
  private checkDateOrder(value: TypedValueWithPath, schema: InternalTypeSchema): void {
    const object = value.value as Record<string, unknown> | null
    if (!object || typeof object !== 'object') return
    if (schema.kind === 'complex-type' && schema.type === 'Period' && isCertainlyAfter(object.start, object.end)) {
      this.issues.push(
        errorIssue('invariant', 'Constraint per-1 not met: If present, start SHALL have a lower value than end', value.path),
      )
    }
    if (
      schema.kind === 'resource' &&
      schema.type === 'MedicationDispense' &&
      isCertainlyAfter(object.whenPrepared, object.whenHandedOver)
    ) {
      this.issues.push(
        errorIssue(
          'invariant',
          'Constraint mdd-1 not met: whenHandedOver cannot be before whenPrepared',
          value.path,
        ),
      )
    }
  }

  visitProperty(): void {
    // Element-level rules are checked by validateResource.
  }

  private checkConstraints(value: TypedValueWithPath, schema: InternalTypeSchema): void {
    for (const constraint of schema.constraints ?? []) {
      if (constraint.severity !== 'error' || SKIPPED_CONSTRAINTS.has(constraint.key)) continue
      // org-1 is checked for every Organization in checkOrg1
      if (constraint.key === 'org-1') continue
      this.evaluate(value, constraint.key, constraint.expression, constraint.description)
    }
  }

  private checkOrg1(value: TypedValueWithPath): void {
    const constraint = (getDataType('Organization').constraints ?? []).find((c) => c.key === 'org-1')
    if (constraint) this.evaluate(value, constraint.key, constraint.expression, constraint.description)
  }

  private evaluate(value: TypedValueWithPath, key: string, expression: string, description: string): void {
    const object = value.value as Record<string, unknown> | null
    const shortcut = TRIVIALLY_MET[key]
    if (shortcut && object && typeof object === 'object' && shortcut(object)) return
    const parsed = parse(expression)
    if (parsed instanceof Error) return
    const variables: Record<string, TypedValue> = { '%context': value, '%ucum': UCUM_VALUE }
    const enclosing = this.resources[this.resources.length - 1]
    if (enclosing) {
      variables['%resource'] = enclosing.resource
      variables['%rootResource'] = enclosing.rootResource
    }
    try {
      const result = evalFhirPathTyped(parsed, [value], variables)
      if (result.length !== 1 || result[0].value !== false) return
      this.issues.push(errorIssue('invariant', `Constraint ${key} not met: ${description}`, value.path))
    } catch (err) {
      // An expression that cannot be evaluated proves nothing about the data.
      const message = err instanceof Error ? err.message : String(err)
      this.issues.push(makeIssue('warning', 'processing', `Could not evaluate constraint ${key}: ${message}`, value.path))
    }
  }

  /** At most one type of each choice element may be present. */
  private checkChoices(value: TypedValueWithPath, schema: InternalTypeSchema): void {
    const object = value.value as Record<string, unknown> | null
    if (!object || typeof object !== 'object') return
    const choiceOf = choiceKeys(schema)
    if (choiceOf.size === 0) return
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
        errorIssue(
          'structure',
          `Only one type of ${choice} may be present, found ${keys.join(', ')}`,
          `${value.path}.${keys[1]}`,
        ),
      )
    }
  }
}

const choiceKeyCache = new WeakMap<InternalTypeSchema, Map<string, string>>()

/** For a type, maps each JSON key of a choice element ('valueString') to the element ('value[x]'). */
function choiceKeys(schema: InternalTypeSchema): Map<string, string> {
  let keys = choiceKeyCache.get(schema)
  if (!keys) {
    keys = new Map()
    for (const [name, element] of Object.entries(schema.elements)) {
      if (!name.endsWith('[x]')) continue
      const base = name.slice(0, -3)
      for (const type of element.type) keys.set(base + capitalize(type.code), name)
    }
    choiceKeyCache.set(schema, keys)
  }
  return keys
}

/** Checks the rules listed at the top of this file. Never throws. */
export function invariantCheck(resource: object, resourceType: string): OperationOutcomeIssue[] {
  try {
    const root = toTypedValue(resource)
    const visitor = new InvariantVisitor(resourceType)
    crawlTypedValue(root, visitor, { schema: getDataType(resourceType), initialPath: resourceType })
    const issues = visitor.issues.map((issue) => ({
      ...issue,
      expression: issue.expression?.map((e) => resolveChoiceExpression(e, resource)),
    }))
    return issues
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    return [errorIssue('exception', `Could not check the resource invariants: ${message}`, resourceType)]
  }
}
