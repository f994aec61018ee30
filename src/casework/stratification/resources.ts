// What a stratification writes for a patient: one RiskAssessment per cycle (casehub-risk-
// assessment profile) and, for a patient to propose, a Task for their GP practice to sign off
// (task.html: intent proposal, status requested). Ids derive from the cycle and the patient,
// and each carries an identifier saying the same, so a resumed or repeated run writes nothing
// twice (the store leaves an existing id alone).
import { createHash } from 'node:crypto'
import type { Organization, Patient, Reference, RiskAssessment, Task } from '@medplum/fhirtypes'
import type { RiskResult, RiskTier } from '../../rules/index.js'

export const RISK_ASSESSMENT_PROFILE = 'https://casehub.org/fhir/StructureDefinition/casehub-risk-assessment'
export const ASSESSMENT_SYSTEM = 'https://casehub.org/fhir/Id/risk-assessment'
export const PROPOSAL_SYSTEM = 'https://casehub.org/fhir/Id/stratification-proposal'
const TIER_SYSTEM = 'https://casehub.org/fhir/CodeSystem/risk-tier'
const TIER_DISPLAY: Record<RiskTier, string> = { 'below-threshold': 'Below threshold', mild: 'Mild', moderate: 'Moderate', severe: 'Severe' }
/** The team that takes referrals (as referral intake names it). */
export const CASE_MANAGEMENT_TEAM = 'Organization/cmt-trafford'

/** `prefix-YYYYMMDD-patientId`, or a hash of it when that would pass FHIR's 64 characters. */
function idFor(prefix: string, cycle: string, patientId: string): string {
  const id = `${prefix}-${cycle.replaceAll('-', '')}-${patientId}`
  return id.length <= 64 ? id : `${prefix}-${createHash('sha256').update(id).digest('hex').slice(0, 48)}`
}

export const assessmentId = (cycle: string, patientId: string) => idFor('ra', cycle, patientId)
export const proposalId = (cycle: string, patientId: string) => idFor('sp', cycle, patientId)

/**
 * RiskAssessment.basis (riskassessment.html: "the source data considered as part of the
 * assessment"): the encounters and conditions the score counted, unplanned care first. Bounded,
 * so a patient with years of GP contacts does not make a huge resource; the rationale keeps the
 * counts of everything.
 */
export const MAX_BASIS = 100

const tierCoding = (tier: RiskTier) => ({ system: TIER_SYSTEM, code: tier, display: TIER_DISPLAY[tier] })

function rationale(result: RiskResult): string {
  const parts = result.components.filter((c) => c.points > 0).map((c) => `${c.name} ${c.count ?? '?'} (${c.points})`)
  return `Score ${result.score}${parts.length ? `: ${parts.join(', ')}` : ''}`
}

export function riskAssessment(patientId: string, cycle: string, nextCycle: string, assessedAt: string, result: RiskResult, library: string): RiskAssessment {
  return {
    resourceType: 'RiskAssessment',
    id: assessmentId(cycle, patientId),
    meta: { profile: [RISK_ASSESSMENT_PROFILE] },
    identifier: [{ system: ASSESSMENT_SYSTEM, value: `${cycle}/Patient/${patientId}` }],
    status: 'final',
    method: { text: `Risk stratification (${library})` },
    subject: { reference: `Patient/${patientId}` },
    occurrenceDateTime: assessedAt,
    ...(result.basis.length ? { basis: result.basis.slice(0, MAX_BASIS).map((reference) => ({ reference })) } : {}),
    prediction: [
      {
        outcome: { text: 'Needs community case management' },
        qualitativeRisk: { coding: [tierCoding(result.tier)] },
        whenRange: { high: { value: 12, unit: 'months', system: 'http://unitsofmeasure.org', code: 'mo' } },
        rationale: rationale(result),
      },
    ],
    note: [
      {
        text: result.tier === 'below-threshold'
          ? `Below threshold: reconsidered at the next stratification (cycle from ${nextCycle}).`
          : `${TIER_DISPLAY[result.tier]} tier in the stratification of the cycle from ${cycle}.`,
      },
      ...(result.basis.length > MAX_BASIS ? [{ text: `basis lists the first ${MAX_BASIS} of the ${result.basis.length} records counted.` }] : []),
    ],
  }
}

/** The practice a patient is registered with, as Patient.generalPractitioner names it. */
export function practiceOf(patient: Patient, practices: { references: string[]; odsCodes: string[] }): Reference<Organization> | undefined {
  for (const gp of patient.generalPractitioner ?? []) {
    const local = /(?:^|\/)(Organization\/[^/]+)$/.exec(gp.reference ?? '')?.[1]
    if (local && practices.references.includes(local)) return { reference: local, ...(gp.display ? { display: gp.display } : {}) }
    const ods = gp.identifier?.system === 'https://fhir.nhs.uk/Id/ods-organization-code' ? gp.identifier.value : undefined
    if (ods && practices.odsCodes.includes(ods)) return { identifier: gp.identifier, ...(gp.display ? { display: gp.display } : {}) }
  }
  return undefined
}

export function proposalTask(patientId: string, cycle: string, assessedAt: string, result: RiskResult, practice: Reference<Organization> | undefined): Task {
  return {
    resourceType: 'Task',
    id: proposalId(cycle, patientId),
    identifier: [{ system: PROPOSAL_SYSTEM, value: `${cycle}/Patient/${patientId}` }],
    status: 'requested',
    intent: 'proposal',
    priority: result.tier === 'severe' ? 'urgent' : 'routine',
    code: {
      coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'approve', display: 'Activate/approve the focal resource' }],
      text: 'GP sign-off: refer to community case management',
    },
    description: `Risk stratification puts this patient in the ${TIER_DISPLAY[result.tier].toLowerCase()} tier (${rationale(result)}). ` +
      'Sign off to refer them to community case management.',
    businessStatus: { coding: [tierCoding(result.tier)] },
    focus: { reference: `RiskAssessment/${assessmentId(cycle, patientId)}` },
    for: { reference: `Patient/${patientId}` },
    authoredOn: assessedAt,
    ...(practice ? { owner: practice } : {}),
  }
}
