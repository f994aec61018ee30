/**
 * Entry point of resource validation: preflight checks, then the R4 JSON
 * schema, then the R4 StructureDefinitions (structure-check.ts, which applies
 * @medplum/core's rules from precomputed plans, plus the invariants medplum
 * leaves out). Issues are merged and de-duplicated.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { resourceTypes } from './definitions.js'
import { errorIssue, mergeIssues } from './issues.js'
import { invariantCheck } from './invariant-check.js'
import { preflight } from './preflight.js'
import { loadProfiles } from './profile-check.js'
import { schemaCheck } from './schema-check.js'
import { structureCheck } from './structure-check.js'
import { buildStructurePlans } from './structure-plans.js'

export interface CheckOptions {
  /** The resource type from the request URL; the body must have the same type. */
  expectedType?: string
}

let initialized = false

/**
 * Loads the definitions and builds the structure plans. Call once at boot;
 * later calls do nothing. Each type's schema validator compiles on first use
 * (warmSchemaValidators compiles the rest ahead of need).
 */
export function initValidation(): void {
  if (initialized) return
  const types = resourceTypes()
  loadProfiles()
  buildStructurePlans(types)
  initialized = true
}

/** Returns all problems found in the resource; an empty array means valid. Never throws for bad input. */
export function checkResource(resource: unknown, opts?: CheckOptions): OperationOutcomeIssue[] {
  try {
    const pre = preflight(resource, opts?.expectedType)
    if (pre.fatal || !pre.resourceType) return pre.issues
    const target = resource as object
    const schemaIssues = schemaCheck(target, pre.resourceType)
    let profileIssues = [
      ...structureCheck(target, pre.resourceType, { hasNulls: pre.hasNulls }),
      ...invariantCheck(target, pre.resourceType),
    ]
    // When the profile validators fail outright on input the schema already
    // rejected, the schema's issues explain the problem better.
    if (schemaIssues.some((issue) => issue.severity === 'error')) {
      profileIssues = profileIssues.filter((issue) => issue.code !== 'exception')
    }
    return mergeIssues([pre.issues, schemaIssues, profileIssues])
  } catch (err) {
    // Not expected to happen (stack overflows are prevented by the depth check),
    // but a validator failure must not turn into a server error.
    const message = err instanceof Error ? err.message : String(err)
    return [errorIssue('exception', `Could not validate the resource: ${message}`, opts?.expectedType ?? 'Resource')]
  }
}
