/**
 * Validation of a resource against a profile (a constraint StructureDefinition
 * with a snapshot) — R4 validation.html#profile, profiling.html.
 *
 * Only what the profile adds to its base type is checked here: the base R4
 * rules are checkResource's job (run it first). The profile's snapshot is
 * compiled once into rules (src/conformance/profile-plan.ts) and the rules are
 * evaluated on the plain JSON, which costs a few µs per rule.
 *
 * Why not @medplum/core's validateResource(resource, { profile }) (still
 * available as profileCheck in profile-check.ts): in 4.5.2 it parses the
 * profile on every call (~1.5–2 ms for a ServiceRequest or CarePlan profile,
 * ~30 µs per snapshot element; there is no way to hand it a parsed schema),
 * and it leaves out, for profiles: required bindings, narrowed choice types,
 * elements inside BackboneElements (its crawler uses the base type there),
 * the elements of slices (it only counts the slices), and extension
 * definitions. Issues are written in medplum's wording and go through
 * fromMedplumIssues, so they read like the rest of the server's.
 */
import {
  createConstraintIssue,
  createProcessingIssue,
  createStructureIssue,
  deepEquals,
  deepIncludes,
  evalFhirPathTyped,
  parseFhirPath,
  toTypedValue,
  UCUM,
  type TypedValue,
} from '@medplum/core'
import type { OperationOutcomeIssue, StructureDefinition } from '@medplum/fhirtypes'
import { type FoundNode, childNodes, choiceKeys, choiceTypeOf, selectNodes } from '../../conformance/instance-select.js'
import { type ProfilePlan, type ProfileRule, compileProfile } from '../../conformance/profile-plan.js'
import { resolveCaseHubDefinition } from '../../conformance/registry.js'
import { type IssueCode, type IssueSeverity, describeValue, errorIssue } from './issues.js'
import { runMedplumCheck } from './profile-check.js'

/** Whether a code is in a ValueSet; undefined when the ValueSet is not known (then the binding is not checked). */
export type CodeChecker = (valueSetUrl: string, system: string | undefined, code: string) => boolean | undefined

export interface ProfileValidateOptions {
  /** Checks required bindings; without it, bindings are not checked. */
  codeChecker?: CodeChecker
  /** Finds extension definitions (and other profiles) by canonical URL; defaults to CaseHub's own. */
  resolveProfile?: (url: string) => StructureDefinition | undefined
}

const plans = new WeakMap<StructureDefinition, ProfilePlan>()

/** The compiled rules of a profile, computed once per StructureDefinition object. */
export function profilePlan(profile: StructureDefinition): ProfilePlan {
  let plan = plans.get(profile)
  if (!plan) {
    plan = compileProfile(profile)
    plans.set(profile, plan)
  }
  return plan
}

/** Returns the problems of `resource` against `profile` (a constraint with a snapshot); [] = conforms. Never throws. */
export function validateAgainstProfile(resource: object, profile: StructureDefinition, opts: ProfileValidateOptions = {}): OperationOutcomeIssue[] {
  const type = String((resource as { resourceType?: unknown }).resourceType ?? 'Resource')
  if (type !== profile.type) {
    return [errorIssue('invalid', `The profile ${profile.url} is for ${profile.type}, not ${type}`, type)]
  }
  const context: Context = {
    resource,
    resourceValue: toTypedValue(resource),
    codeChecker: opts.codeChecker,
    resolve: opts.resolveProfile ?? resolveCaseHubDefinition,
  }
  return runMedplumCheck(resource, type, () => runPlan(profilePlan(profile), { value: resource, location: type }, context, 0))
}

interface Context {
  resource: object
  resourceValue: TypedValue
  codeChecker?: CodeChecker
  resolve: (url: string) => StructureDefinition | undefined
}

/** Extensions inside extensions are followed this deep at most. */
const MAX_EXTENSION_DEPTH = 5

function runPlan(plan: ProfilePlan, root: FoundNode, context: Context, depth: number): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = []
  for (const rule of plan.rules) {
    if (rule.kind === 'cardinality' || rule.kind === 'choice') {
      for (const parent of selectNodes(root, rule.steps)) checkParent(rule, parent, issues)
    } else if (rule.kind === 'extension') {
      if (depth >= MAX_EXTENSION_DEPTH) continue
      const definition = context.resolve(rule.url)
      for (const node of selectNodes(root, rule.steps)) {
        if (definition) issues.push(...runPlan(profilePlan(definition), node, context, depth + 1))
        else issues.push(medplumStyleIssue('warning', 'not-found', `Unknown extension definition ${rule.url}: its value is not checked`, node.location))
      }
    } else {
      for (const node of selectNodes(root, rule.steps)) checkNode(rule, node, root, context, issues)
    }
  }
  return issues
}

function checkParent(rule: ProfileRule, parent: FoundNode, issues: OperationOutcomeIssue[]): void {
  if (rule.kind === 'cardinality') {
    const count = childNodes(parent, rule.step).length
    if (count >= rule.min && count <= rule.max) return
    const location = `${parent.location}.${rule.name}`
    if (rule.sliceName) {
      issues.push(createStructureIssue(location, `Incorrect number of values provided for slice '${rule.sliceName}': expected ${rule.min}..${rule.maxText}, but found ${count}`))
    } else if (count === 0) {
      issues.push(createStructureIssue(location, 'Missing required property'))
    } else {
      issues.push(createStructureIssue(location, `Invalid number of values: expected ${rule.min}..${rule.maxText}, but found ${count}`))
    }
  } else if (rule.kind === 'choice' && typeof parent.value === 'object' && parent.value !== null) {
    for (const key of choiceKeys(parent.value as Record<string, unknown>, rule.name)) {
      const type = choiceTypeOf(key.slice(rule.name.length))
      if (!rule.allowed.includes(type)) {
        issues.push(createStructureIssue(`${parent.location}.${key}`, `Type ${type} is not allowed for ${rule.name}[x] by the profile (allowed: ${rule.allowed.join(', ')})`))
      }
    }
  }
}

function checkNode(rule: ProfileRule, node: FoundNode, root: FoundNode, context: Context, issues: OperationOutcomeIssue[]): void {
  switch (rule.kind) {
    case 'value':
      if (rule.fixed !== undefined && !deepEquals(node.value, rule.fixed)) {
        issues.push(medplumStyleIssue('error', 'value', `Value ${describeValue(node.value)} is not the fixed value ${describeValue(rule.fixed, 120)} of the profile`, node.location))
      } else if (rule.pattern !== undefined && !deepIncludes(node.value, rule.pattern)) {
        issues.push(medplumStyleIssue('error', 'value', `Value does not match the pattern ${describeValue(rule.pattern, 160)} of the profile`, node.location))
      }
      break
    case 'invariant':
      checkInvariant(rule, node, root, context, issues)
      break
    case 'reference': {
      const type = referenceType(node.value, context.resource)
      if (type && !rule.allowed.includes(type)) {
        issues.push(createStructureIssue(node.location, `Invalid reference target: got "${type}", expected ${rule.allowed.map((t) => `"${t}"`).join(' or ')}`))
      }
      break
    }
    case 'binding':
      if (context.codeChecker) checkBinding(rule.valueSet, node.choiceType ?? rule.type, node, context.codeChecker, issues)
      break
  }
}

/** An issue in @medplum/core's shape (text in details), for fromMedplumIssues. */
function medplumStyleIssue(severity: IssueSeverity, code: IssueCode, text: string, location: string): OperationOutcomeIssue {
  return { severity, code, details: { text }, expression: [location] }
}

type ParsedExpression = ReturnType<typeof parseFhirPath>
const parsed = new Map<string, ParsedExpression>()
const UCUM_VALUE = toTypedValue(UCUM)

function checkInvariant(rule: Extract<ProfileRule, { kind: 'invariant' }>, node: FoundNode, root: FoundNode, context: Context, issues: OperationOutcomeIssue[]): void {
  const value: TypedValue = node === root && root.value === context.resource ? context.resourceValue : { type: node.choiceType ?? rule.type, value: node.value }
  const variables = { '%context': value, '%resource': context.resourceValue, '%rootResource': context.resourceValue, '%ucum': UCUM_VALUE }
  try {
    let expression = parsed.get(rule.expression)
    if (!expression) parsed.set(rule.expression, (expression = parseFhirPath(rule.expression)))
    const result = evalFhirPathTyped(expression, [value], variables)
    // As in invariant-check.ts, only a false result fails: an empty one counts as met.
    if (result.length === 1 && result[0].value === false) {
      const issue = createConstraintIssue(node.location, { key: rule.key, severity: rule.severity, expression: rule.expression, description: rule.human })
      issue.severity = rule.severity
      issues.push(issue)
    }
  } catch (err) {
    issues.push(createProcessingIssue(node.location, 'Error evaluating invariant expression', err as Error, { fhirpath: rule.expression }))
  }
}

/** The resource type a Reference points to, when it can be told from the reference (references.html#literal). */
function referenceType(value: unknown, resource: object): string | undefined {
  const reference = (value as { reference?: unknown } | null)?.reference
  if (typeof reference !== 'string' || reference.startsWith('urn:')) return undefined
  if (reference.startsWith('#')) {
    const contained = (resource as { contained?: { id?: string; resourceType?: string }[] }).contained
    return Array.isArray(contained) ? contained.find((r) => r?.id === reference.slice(1))?.resourceType : undefined
  }
  if (/^[A-Z][A-Za-z]+\?/.test(reference)) return reference.slice(0, reference.indexOf('?'))
  return /(?:^|\/)([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(reference)?.[1]
}

/**
 * A required binding (terminologies.html#required): a code, a Coding, or a
 * CodeableConcept with at least one coding in the ValueSet. Checked only for
 * ValueSets the checker knows.
 */
function checkBinding(valueSet: string, type: string, node: FoundNode, checker: CodeChecker, issues: OperationOutcomeIssue[]): void {
  const value = node.value as { system?: unknown; code?: unknown; coding?: unknown } | string
  let codings: { system?: string; code?: string }[]
  if (type === 'code' || typeof value === 'string') codings = [{ code: String(value) }]
  else if (type === 'Coding') codings = [value as { system?: string; code?: string }]
  else if (type === 'CodeableConcept') codings = Array.isArray(value.coding) ? value.coding : []
  else return
  const answers = codings.filter((c) => typeof c?.code === 'string').map((c) => checker(valueSet, c.system, c.code!))
  if (answers.includes(true)) return
  if (answers.length === 0) {
    // Text only: fails when the ValueSet is known (no code at all can be in it).
    if (checker(valueSet, undefined, '') === undefined) return
    issues.push(medplumStyleIssue('error', 'code-invalid', `A code from the required ValueSet ${valueSet} is missing`, node.location))
    return
  }
  if (answers.includes(undefined)) return
  const shown = codings.map((c) => (c.system ? `${c.system}|${c.code}` : `${c.code}`)).join(', ')
  issues.push(medplumStyleIssue('error', 'code-invalid', `Code ${shown} is not in the required ValueSet ${valueSet}`, node.location))
}
