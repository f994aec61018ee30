// Eligibility for case management of one patient (issue 5): their record, fetched through the
// store, evaluated by the CaseHubEligibility CQL library — the version the intake PlanDefinition
// selects (library-upload.ts), named in the result. Assessed at the referral's authoredOn, else
// now. Used by $eligibility, referral intake and $triage.
import type { Patient, ServiceRequest } from '@medplum/fhirtypes'
import { terminologyIndex } from '../fhir/conformance/terminology.js'
import { casehubLibraryCache, ELIGIBILITY_LIBRARY, eligibilityResult, INTAKE_PLAN_DEFINITION, type EligibilityResult } from '../rules/index.js'
import { createEvaluator, type RuleEvaluator } from '../rules/evaluator.js'
import { eligibilityParameters } from '../rules/parameters.js'
import { codeRequirements, type CodeRequirements } from '../rules/code-requirements.js'
import type { TerminologyIndex } from '../terminology/index.js'
import type { ResourceStore } from '../store/types.js'
import { fetchPatientRecord } from './patient-record.js'
import { selectedLibrary } from './library-upload.js'

export interface EligibilityRequest {
  patient: Patient
  referral?: ServiceRequest
  baseUrl: string
  /** the assessment date when there is no referral (default: now) */
  now?: Date
  /** the service's practices, instead of the library's default (the open Trafford practices) */
  practiceOdsCodes?: string[]
  /** told how long each phase took (and how many resources were fetched): for benchmarks */
  timing?: (phase: 'fetch' | 'evaluate', ms: number, resources?: number) => void
}

let evaluator: RuleEvaluator | undefined
/** The codes the library's retrieves look for, per terminology and libraries (an update makes new ones). */
let codes: { index: TerminologyIndex; key: string; requirements: CodeRequirements } | undefined

function codesFor(rules: RuleEvaluator, library: string): CodeRequirements {
  const index = terminologyIndex()
  const key = `${index.generation}|${casehubLibraryCache().generation}|${library}`
  if (codes?.index !== index || codes.key !== key) {
    const { elms, valueSets } = rules.portable(library)
    codes = { index, key, requirements: codeRequirements(elms, valueSets) }
  }
  return codes.requirements
}

export async function assessEligibility(store: ResourceStore, req: EligibilityRequest): Promise<EligibilityResult> {
  // The server's live terminology, so a ValueSet updated through the API takes effect.
  evaluator ??= createEvaluator(terminologyIndex)
  const started = performance.now()
  const library = await selectedLibrary(store, ELIGIBILITY_LIBRARY, INTAKE_PLAN_DEFINITION)
  const types = evaluator.dataRequirements(library)
  const bundle = await fetchPatientRecord(store, { patient: req.patient, referral: req.referral, types, baseUrl: req.baseUrl, codes: codesFor(evaluator, library) })
  const fetched = performance.now()
  req.timing?.('fetch', fetched - started, bundle.entry?.length)
  const parameters = eligibilityParameters({
    assessmentDate: req.referral?.authoredOn ?? req.now ?? new Date(),
    referralId: req.referral?.id,
    practiceOdsCodes: req.practiceOdsCodes,
  })
  const result = eligibilityResult(await evaluator.evaluate(library, bundle, parameters))
  req.timing?.('evaluate', performance.now() - fetched)
  return { ...result, library }
}
