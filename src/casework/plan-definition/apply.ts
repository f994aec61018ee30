// Applying a PlanDefinition to a patient (plandefinition.html#12.18.3.3): check what can be
// applied, evaluate the applicability conditions over the patient's record, and build the
// CarePlan. Nothing is stored: R4 $apply proposes, the caller decides what to keep.
import type { CarePlan, Patient, PlanDefinition, ServiceRequest } from '@medplum/fhirtypes'
import type { ResourceStore } from '../../store/types.js'
import { carePlan, type ApplyContext } from './care-plan.js'
import { evaluateConditions, mainLibrary } from './condition-evaluation.js'
import { applicabilityConditions } from './conditions.js'

export interface ApplyRequest extends Omit<ApplyContext, 'subject' | 'referral'> {
  plan: PlanDefinition
  patient: Patient
  referral?: ServiceRequest
  baseUrl: string
}

export async function applyPlanDefinition(store: ResourceStore, req: ApplyRequest): Promise<CarePlan> {
  const conditions = applicabilityConditions(req.plan)
  const values = conditions.length
    ? await evaluateConditions(store, mainLibrary(req.plan.library), conditions, {
        patient: req.patient, referral: req.referral, baseUrl: req.baseUrl, now: req.now,
      })
    : new Map<string, boolean | undefined>()
  return carePlan(req.plan, values, {
    subject: { reference: `Patient/${req.patient.id}` },
    encounter: req.encounter,
    practitioner: req.practitioner,
    organization: req.organization,
    referral: req.referral ? { reference: `ServiceRequest/${req.referral.id}` } : undefined,
    now: req.now,
  })
}
