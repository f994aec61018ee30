// CarePlan activities as onward referrals (issue 6: an onward referral may be created "as a
// CarePlan activity"). An activity defined inline (careplan.html#CarePlan.activity.detail, used
// when no `reference` is given) of kind ServiceRequest, status scheduled or in-progress, with a
// code, on an active CarePlan whose intent is plan or order, becomes one ServiceRequest (active,
// order) in the CarePlan write's own transaction, when it names a HealthcareService as performer
// or names no performer and the routing rules map its code. That ServiceRequest is created like
// triage's crisis referral (createVersion), so the onward-referral hook routes it.
//
// cpl-3 ("Provide a reference or detail, not both") forbids writing activity.reference beside the
// detail, so the link is the other way: the ServiceRequest is basedOn the CarePlan and carries the
// identifier careplan-activity|CarePlan/{id}#{key}, key = the activity's element id when it has
// one, else its place (activity[n]). Writing the CarePlan again finds it by that key and makes
// no second one. An activity that becomes cancelled or stopped (entered-in-error), or the whole
// plan revoked (entered-in-error), withdraws its referral (onward-withdrawal.ts). Activities given
// by reference are careplan-references.ts's.
import type { CarePlan, CarePlanActivityDetail, CodeableConcept, Reference, Resource, ServiceRequest } from '@medplum/fhirtypes'
import { unprocessable } from '../errors.js'
import { findResources } from '../fhir/search/find.js'
import type { InteractionContext } from '../fhir/types.js'
import type { WriteHook } from '../fhir/write-hooks.js'
import { createVersion } from '../fhir/write.js'
import { localId } from './local-id.js'
import { withdrawReferral } from './onward-withdrawal.js'
import { reconcileReferenced, referencedRequests } from './careplan-references.js'
import { isOnwardReferral } from './routing-rules.js'

export const ACTIVITY_ID = 'https://casehub.org/fhir/Id/careplan-activity'
const ORDERING = ['scheduled', 'in-progress']
type Withdrawn = 'revoked' | 'entered-in-error'
// activity (CarePlanActivityStatus) and plan (RequestStatus) states that withdraw a referral
const STOPPING: Record<string, Withdrawn> = { cancelled: 'revoked', stopped: 'revoked', 'entered-in-error': 'entered-in-error' }
const PLAN_STOPPING: Record<string, Withdrawn> = { revoked: 'revoked', 'entered-in-error': 'entered-in-error' }
const LIVE = ['draft', 'active', 'on-hold']
// CarePlan.author types a ServiceRequest.requester cannot hold
const NOT_REQUESTER = ['CareTeam']

type Made = ServiceRequest & { id: string }

/** The ServiceRequests made for this plan's activities, by activity key. */
async function madeFor(planId: string, ctx: InteractionContext): Promise<Map<string, Made>> {
  const out = new Map<string, Made>()
  for (const sr of await findResources<ServiceRequest>(ctx.store, 'ServiceRequest', { 'based-on': `CarePlan/${planId}` }, { baseUrl: ctx.baseUrl, count: 1000 })) {
    const value = sr.identifier?.find((i) => i.system === ACTIVITY_ID)?.value
    if (value) out.set(value, sr)
  }
  return out
}

const codings = (c: CodeableConcept | undefined) => new Set((c?.coding ?? []).map((x) => `${x.system}|${x.code}`))
const refs = (r: Reference[] | undefined) => (r ?? []).map((x) => x.reference ?? '').sort().join(' ')

/** Whether `sr` was made from this detail: same kind, code and performers. */
function madeFrom(detail: CarePlanActivityDetail, sr: ServiceRequest): boolean {
  if (detail.kind !== 'ServiceRequest' || !detail.code) return false
  const a = codings(detail.code)
  const b = codings(sr.code)
  const sameCode = a.size || b.size ? [...a].some((c) => b.has(c)) : detail.code.text === sr.code?.text
  return sameCode && refs(detail.performer) === refs(sr.performer)
}

function referralFor(plan: CarePlan & { id: string }, detail: CarePlanActivityDetail, key: string): ServiceRequest {
  const author = plan.author?.reference?.split('/').at(-2)
  return {
    resourceType: 'ServiceRequest',
    identifier: [{ system: ACTIVITY_ID, value: key }],
    basedOn: [{ reference: `CarePlan/${plan.id}` }],
    status: 'active',
    intent: 'order',
    code: detail.code,
    subject: plan.subject,
    ...(plan.encounter ? { encounter: plan.encounter } : {}),
    ...(detail.scheduledPeriod ? { occurrencePeriod: detail.scheduledPeriod } : {}),
    ...(detail.scheduledTiming ? { occurrenceTiming: detail.scheduledTiming } : {}),
    authoredOn: new Date().toISOString(),
    ...(plan.author && !NOT_REQUESTER.includes(author ?? '') ? { requester: plan.author as ServiceRequest['requester'] } : {}),
    ...(detail.performer ? { performer: detail.performer as ServiceRequest['performer'] } : {}),
    ...(detail.location ? { locationReference: [detail.location] } : {}),
    ...(detail.reasonCode ? { reasonCode: detail.reasonCode } : {}),
    ...(detail.reasonReference ? { reasonReference: detail.reasonReference } : {}),
    ...(detail.description ? { note: [{ text: detail.description }] } : {}),
  }
}

/** Brings the plan's referrals in line with its activities; refuses (422) what it cannot honour. */
async function reconcile(resource: Resource, ctx: InteractionContext): Promise<void> {
  const plan = resource as CarePlan & { id: string }
  const planStop = PLAN_STOPPING[plan.status] as Withdrawn | undefined
  const activities = plan.activity ?? []
  const referenced = referencedRequests(plan).length > 0
  if (!planStop && !referenced && !activities.some((a) => a.detail?.kind === 'ServiceRequest')) return
  // only a Patient's plan: an onward referral and its delivery are about one patient
  if (!localId('Patient', plan.subject?.reference)) return
  const made = await madeFor(plan.id, ctx)
  const cause = { reference: `CarePlan/${plan.id}` }
  const ordering = plan.status === 'active' && (plan.intent === 'plan' || plan.intent === 'order')
  if (referenced) await reconcileReferenced(plan, ctx, { ordering, withdrawn: planStop })

  for (const [n, activity] of activities.entries()) {
    const detail = activity.detail
    if (!detail || activity.reference) continue
    const key = `CarePlan/${plan.id}#${activity.id ?? `activity[${n}]`}`
    const at = `CarePlan.activity[${n}].detail`
    const sr = made.get(key)
    made.delete(key)
    if (sr && LIVE.includes(sr.status) && !madeFrom(detail, sr)) {
      throw unprocessable(
        `CarePlan.activity[${n}] was referred as ServiceRequest/${sr.id} with another code or performer; ` +
          'to change a referral, cancel its activity (status cancelled) and add a new one, and give activities an id to reorder or remove them',
        `${at}.code`,
      )
    }
    const stop = planStop ?? (STOPPING[detail.status] as Withdrawn | undefined)
    if (sr && stop) {
      await withdrawReferral(ctx, sr.id, `CarePlan/${plan.id} activity ${n + 1} is ${planStop ? `${plan.status} with its plan` : detail.status}`, cause, stop)
      continue
    }
    if (!ordering || !ORDERING.includes(detail.status) || detail.kind !== 'ServiceRequest' || !(await isOnwardReferral(detail.performer, detail.code, ctx.store))) continue
    if (sr && !LIVE.includes(sr.status) && sr.status !== 'completed') {
      throw unprocessable(
        `CarePlan.activity[${n}]'s referral ServiceRequest/${sr.id} was withdrawn (${sr.status}); add a new activity to refer again`,
        `${at}.status`,
      )
    }
    if (!sr) await createVersion(ctx, ctx.store, referralFor(plan, detail, key))
  }
  // activities no longer in the plan keep their referrals, except when the whole plan is withdrawn
  if (planStop) for (const sr of made.values()) await withdrawReferral(ctx, sr.id, `CarePlan/${plan.id} is ${plan.status}`, cause, planStop)
}

/** The write hook app.ts registers for CarePlan. */
export const carePlanActivities: WriteHook = {
  name: 'careplan-activities',
  created: (resource, ctx) => reconcile(resource, ctx),
  updated: (resource, _previous, ctx) => reconcile(resource, ctx),
}
