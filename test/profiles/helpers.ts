// Shared by the profile tests: the examples, a fixed CodeChecker, and the table runner.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { OperationOutcomeIssue, StructureDefinition } from '@medplum/fhirtypes'
import type { Test } from 'tap'
import { resolveCaseHubDefinition } from '../../src/conformance/registry.js'
import { checkResource } from '../../src/fhir/validation/index.js'
import { type CodeChecker, validateAgainstProfile } from '../../src/fhir/validation/profile-validate.js'

export const BASE = 'https://casehub.org/fhir/StructureDefinition/'
export const EXAMPLES_DIR = join(import.meta.dirname, '../../profiles/examples')
export const PROFILE_IDS = [
  'casehub-patient', 'casehub-referral', 'casehub-onward-referral', 'casehub-task', 'casehub-careplan',
  'casehub-emergency-plan', 'casehub-goal', 'casehub-careteam', 'casehub-episode', 'casehub-risk-assessment',
]

export function profile(id: string): StructureDefinition {
  const sd = resolveCaseHubDefinition(BASE + id)
  if (!sd) throw new Error(`no profile ${id}`)
  return sd
}

export function example(profileId: string): any {
  return JSON.parse(readFileSync(join(EXAMPLES_DIR, `${profileId}-example.json`), 'utf8'))
}

/**
 * The ValueSets the profiles bind, with the codes the terminology work puts in
 * them (terminology/ValueSet-*.json); any other ValueSet is unknown.
 */
const VALUE_SETS: Record<string, [string, string[]]> = {
  'risk-tiers': ['https://casehub.org/fhir/CodeSystem/risk-tier', ['mild', 'moderate', 'severe']],
  'mdt-roles': ['http://snomed.info/sct', ['768832004', '445451001', '158997000', '224589006', '309422009']],
  'onward-referral-codes': ['http://snomed.info/sct', ['871731000000106', '306171006', '306167008', '308436005', '306206005']],
  'nhs-number-verification-status': [
    'https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland',
    ['01', '02', '03', '04', '05', '06', '07', '08'],
  ],
}

export const codeChecker: CodeChecker = (url, system, code) => {
  const entry = VALUE_SETS[url.replace('https://casehub.org/fhir/ValueSet/', '')]
  if (!entry) return undefined
  return (system === undefined || system === entry[0]) && entry[1].includes(code)
}

export function validate(resource: object, profileId: string): OperationOutcomeIssue[] {
  return validateAgainstProfile(resource, profile(profileId), { codeChecker })
}

export const errors = (issues: OperationOutcomeIssue[]) => issues.filter((i) => i.severity === 'error')
export const show = (issues: OperationOutcomeIssue[]) =>
  issues.map((i) => `${i.severity} ${i.code} ${i.expression?.join(',')}: ${i.diagnostics}`).join('\n') || '(none)'

export interface ConstraintCase {
  /** What is broken, as the test name. */
  name: string
  /** Changes a copy of the profile's example so that it breaks the constraint. */
  change: (resource: any) => void
  /** A fragment of the expected issue's text, and its exact location. */
  text: string
  expression: string
  /** The change also breaks a base R4 rule (so checkResource fails too). */
  baseInvalid?: boolean
}

/** Runs one table of constraint cases against one profile. */
export function runConstraintTable(t: Test, profileId: string, cases: ConstraintCase[]): void {
  t.test(profileId, async (t) => {
    for (const c of cases) {
      const resource = example(profileId)
      c.change(resource)
      const issues = errors(validate(resource, profileId))
      const found = issues.find((i) => i.diagnostics?.includes(c.text) && i.expression?.[0] === c.expression)
      t.ok(found, `${c.name}: expected "${c.text}" at ${c.expression}, got:\n${show(issues)}`)
      const baseErrors = errors(checkResource(structuredClone(resource)))
      if (c.baseInvalid) t.ok(baseErrors.length > 0, `${c.name}: also invalid against the base`)
      else t.same(baseErrors, [], `${c.name}: valid against the base R4 definition, so the failure is the profile's`)
    }
  })
}
