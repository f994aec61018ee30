// Referral intake (DESIGN.md "The referral's journey" 1–2; issue 5): when a ServiceRequest that
// claims the casehub-referral profile is created — alone or in a transaction Bundle — CaseHub, in
// the same database transaction:
//   1. creates a Task (requested; focus = the referral; owner = the case management team);
//   2. evaluates the eligibility rules over the patient's record (the Bundle's other entries
//      included) and stores a GuidanceResponse whose contained Parameters are the result;
//   3. moves the Task to accepted, rejected (coded statusReason) or on-hold (data required), with
//      the GuidanceResponse in Task.output; an acutely unwell patient's referral is redirected to
//      the Community Crisis Response Team by a new ServiceRequest, one per referral: triage run
//      again finds the one made before (basedOn the referral, not revoked or entered in error).
import type { GuidanceResponse, HealthcareService, Organization, Parameters, Reference, Resource, ServiceRequest, Task } from '@medplum/fhirtypes'
import { randomUUID } from 'node:crypto'
import type { InteractionContext } from '../fhir/types.js'
import type { WriteHook } from '../fhir/write-hooks.js'
import { createVersion, nextVersion } from '../fhir/write.js'
import type { EligibilityResult } from '../rules/eligibility.js'
import { isOpen, OUT_OF_HOURS_ADVICE, type ServiceHours } from './service-hours.js'
import { localId } from './local-id.js'
import { crisisTeam } from './crisis-team.js'
import { findResources } from '../fhir/search/find.js'

export const REFERRAL_PROFILE = 'https://casehub.org/fhir/StructureDefinition/casehub-referral'
const ELIGIBILITY_LIBRARY = 'https://casehub.org/fhir/Library/CaseHubEligibility'
const REJECTION = 'https://casehub.org/fhir/CodeSystem/referral-rejection-reason'
const SERVICE_TYPE = 'https://casehub.org/fhir/CodeSystem/service-type'
/** The generator's and the examples' case management team; a display-only owner when absent. */
const TEAM: Reference<Organization> = { reference: 'Organization/cmt-trafford', display: 'Trafford Case Management Team' }

/** Why a referral was rejected: the first criterion that decided it, as a referral-rejection-reason. */
const REASON_BY_CRITERION: Record<string, [code: string, display: string]> = {
  Adult: ['under-18', 'Under 18 years of age'],
  'Registered With Service Practice': ['not-registered', 'Not registered with a Trafford GP'],
  'Has Chronic Long Term Condition': ['no-long-term-condition', 'No chronic long-term condition'],
  'At Risk Of Deterioration': ['not-at-risk', 'Not at risk of deterioration'],
  'Not Under Specialist Nurse': ['under-specialist-nurse', 'Already under specialist nursing for the referring condition'],
  Pregnant: ['pregnant', 'Pregnant'],
  'Receiving End Of Life Care': ['end-of-life', 'Receiving end of life care'],
  'Resident In Nursing Home': ['nursing-home', 'Lives in a nursing home'],
  'Presenting With Mental Health Or Substance Misuse': ['mental-health-or-substance-misuse', 'Mental health, alcohol or drug misuse is the presenting condition'],
  'Acutely Unwell': ['acutely-unwell', 'Acutely unwell: refer to the Community Crisis Response Team'],
}

export function claimsReferralProfile(resource: Resource): boolean {
  return (resource.meta?.profile ?? []).some((p) => p === REFERRAL_PROFILE || p.startsWith(`${REFERRAL_PROFILE}|`))
}

const isReferral = (r: Resource): r is ServiceRequest =>
  claimsReferralProfile(r) && (r as ServiceRequest).status === 'active' && (r as ServiceRequest).intent === 'order'

/** The intake, for a service open `hours` (referrals outside them are taken, with advice). */
export function referralIntake(hours: ServiceHours): WriteHook {
  return {
    name: 'referral-intake',
    check(resource) {
      if (!isReferral(resource) || isOpen(hours, new Date())) return
      return [{ severity: 'information', code: 'informational', diagnostics: `${OUT_OF_HOURS_ADVICE} (service hours: ${hours.text}, UK time)` }]
    },
    async created(resource, ctx) {
      if (isReferral(resource)) await intake(resource, ctx, isOpen(hours, new Date()))
    },
  }
}

async function intake(referral: ServiceRequest, ctx: InteractionContext, inHours: boolean): Promise<void> {
  const store = ctx.store
  const owner = (await store.read('Organization', 'cmt-trafford'))?.deleted === false ? TEAM : { display: TEAM.display }
  const taskId = randomUUID()
  const task: Task = {
    resourceType: 'Task',
    meta: { profile: ['https://casehub.org/fhir/StructureDefinition/casehub-task'] },
    status: 'requested',
    intent: 'order',
    priority: referral.priority,
    focus: { reference: `ServiceRequest/${referral.id}` },
    for: referral.subject,
    authoredOn: new Date().toISOString(),
    ...(referral.requester ? { requester: referral.requester } : {}),
    owner,
    ...(inHours ? {} : { note: [{ time: new Date().toISOString(), text: OUT_OF_HOURS_ADVICE }] }),
  }
  await createVersion(ctx, store, task, { id: taskId })
  await triage({ ...task, id: taskId }, referral, ctx)
}

/**
 * Evaluates the rules for the referral, stores the GuidanceResponse and writes the Task's next
 * version with the decision (its output lists every assessment made). Used at intake and by
 * Task/$triage. Returns the Task as written.
 */
export async function triage(task: Task, referral: ServiceRequest, ctx: InteractionContext): Promise<Task> {
  const store = ctx.store
  const result = await evaluate(referral, ctx)
  const guidanceId = randomUUID()
  await createVersion(ctx, store, guidanceResponse(referral, result), { id: guidanceId })
  const { statusReason: _previous, ...rest } = task
  const decided: Task = {
    ...rest,
    ...decision(result),
    output: [...(task.output ?? []), { type: { text: 'Eligibility assessment' }, valueReference: { reference: `GuidanceResponse/${guidanceId}` } }],
  }
  if (result?.route === 'crisis-response' && !(await hasCrisisReferral(referral, ctx))) {
    await createVersion(ctx, store, crisisReferral(referral, await crisisTeam(store, ctx.baseUrl, referral.subject)))
  }
  const current = await store.readForUpdate('Task', task.id!)
  await nextVersion(ctx, store, current!, decided, 'PUT')
  return decided
}

/** Whether a crisis referral basedOn `referral` stands already (not revoked or entered in error). */
async function hasCrisisReferral(referral: ServiceRequest, ctx: InteractionContext): Promise<boolean> {
  const based = `ServiceRequest/${referral.id}`
  // Serialises triages of one referral (until commit), so two at once cannot both find none.
  await ctx.store.guardConditional('ServiceRequest', `crisis-referral:${based}`)
  const made = await findResources<ServiceRequest>(ctx.store, 'ServiceRequest', { 'based-on': based, 'performer-type': `${SERVICE_TYPE}|crisis-response` }, { baseUrl: ctx.baseUrl })
  return made.some((sr) => !['revoked', 'entered-in-error'].includes(sr.status))
}

// Loaded on first use: the CQL engine is heavy and most processes never evaluate. The promise
// is kept, since each import() goes through the module loader's hooks again.
let assessment: Promise<typeof import('./eligibility.js')> | undefined

/** The rules' answer, or undefined when the patient cannot be found (data required). */
async function evaluate(referral: ServiceRequest, ctx: InteractionContext): Promise<EligibilityResult | undefined> {
  const patientId = localId('Patient', referral.subject?.reference)
  const stored = patientId ? await ctx.store.read('Patient', patientId) : undefined
  if (!stored || stored.deleted || !stored.json) return undefined
  const { assessEligibility } = await (assessment ??= import('./eligibility.js'))
  return assessEligibility(ctx.store, { patient: JSON.parse(stored.json), referral, baseUrl: ctx.baseUrl })
}

function decision(result: EligibilityResult | undefined): Pick<Task, 'status' | 'statusReason'> {
  const reason = (code: string, display: string, text = display) => ({ coding: [{ system: REJECTION, code, display }], text })
  if (!result || result.route === 'data-required') {
    return { status: 'on-hold', statusReason: reason('data-required', 'More information required', result ? 'A birth date or a registered GP practice is missing' : 'The referral names no patient this server holds') }
  }
  if (result.route === 'case-management') return { status: 'accepted' }
  if (result.route === 'crisis-response') {
    return { status: 'rejected', statusReason: reason(...REASON_BY_CRITERION['Acutely Unwell'], 'Redirected to crisis response') }
  }
  const decisive = result.criteria.find((c) => (c.kind === 'inclusion' ? c.met === false : c.met === true))
  const [code, display] = (decisive && REASON_BY_CRITERION[decisive.name]) ?? ['not-eligible', 'Does not meet the service criteria']
  return { status: 'rejected', statusReason: reason(code, display) }
}

function guidanceResponse(referral: ServiceRequest, result: EligibilityResult | undefined): GuidanceResponse {
  const parameters: Parameters = {
    resourceType: 'Parameters',
    id: 'result',
    parameter: result
      ? [
          { name: 'eligible', valueBoolean: result.eligible },
          { name: 'route', valueCode: result.route },
          ...result.criteria.map((c) => ({
            name: 'criterion',
            part: [{ name: 'name', valueString: c.name }, { name: 'kind', valueCode: c.kind }, ...(c.met === undefined ? [] : [{ name: 'met', valueBoolean: c.met }])],
          })),
        ]
      : [{ name: 'eligible', valueBoolean: false }, { name: 'route', valueCode: 'data-required' }],
  }
  return {
    resourceType: 'GuidanceResponse',
    contained: [parameters],
    requestIdentifier: { system: 'urn:ietf:rfc:3986', value: `urn:casehub:referral:${referral.id}` },
    moduleUri: ELIGIBILITY_LIBRARY,
    status: !result || result.route === 'data-required' ? 'data-required' : 'success',
    subject: referral.subject as GuidanceResponse['subject'],
    occurrenceDateTime: new Date().toISOString(),
    outputParameters: { reference: '#result' },
  }
}

/** The onward referral to the Community Crisis Response Team (seed 000: acutely unwell); naming
 *  the team's HealthcareService as performer, when held, routes it (onward.ts). */
function crisisReferral(referral: ServiceRequest, team: Reference<HealthcareService> | undefined): ServiceRequest {
  const crisis = { coding: [{ system: SERVICE_TYPE, code: 'crisis-response', display: 'Community Crisis Response Team' }] }
  return {
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'order',
    priority: referral.priority ?? 'asap',
    code: { ...crisis, text: 'Referral to the Community Crisis Response Team' },
    performerType: crisis,
    ...(team ? { performer: [team] } : {}),
    subject: referral.subject,
    basedOn: [{ reference: `ServiceRequest/${referral.id}` }],
    authoredOn: new Date().toISOString(),
    ...(referral.requester ? { requester: referral.requester } : {}),
    ...(referral.reasonCode ? { reasonCode: referral.reasonCode } : {}),
    ...(referral.reasonReference ? { reasonReference: referral.reasonReference } : {}),
  }
}
