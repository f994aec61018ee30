// CarePlan activities given by `reference` (careplan.html#CarePlan.activity.reference: "the
// details of the proposed activity represented in a specific resource"). A ServiceRequest the
// plan references follows the plan as an inline activity's referral does (careplan-activities.ts):
// - the plan becoming active (intent plan or order) places its draft onward referrals: a
//   referenced ServiceRequest in draft, intent order, naming a HealthcareService or a code the
//   routing rules map, is made active (and basedOn the plan), and the onward-referral hook
//   routes it; a referenced request already active was routed when it was written;
// - the plan revoked (or entered in error) withdraws the referenced requests still live that are
//   the plan's own (basedOn it, e.g. placed by it), as onward-withdrawal.ts does (taken back
//   before delivery, else raised with the team); another plan's or patient's request is left be.
import type { CarePlan, ServiceRequest } from '@medplum/fhirtypes'
import type { InteractionContext } from '../fhir/types.js'
import { nextVersion } from '../fhir/write.js'
import { localId } from './local-id.js'
import { withdrawReferral } from './onward-withdrawal.js'
import { isOnwardReferral } from './routing-rules.js'

/** The ids of the local ServiceRequests the plan's activities reference. */
export function referencedRequests(plan: CarePlan): string[] {
  return (plan.activity ?? []).flatMap((a) => {
    const id = localId('ServiceRequest', a.reference?.reference)
    return id ? [id] : []
  })
}

/** Brings the referenced requests in line with the plan: places drafts when it is ordering, withdraws live ones when it is withdrawn. */
export async function reconcileReferenced(
  plan: CarePlan & { id: string },
  ctx: InteractionContext,
  state: { ordering: boolean; withdrawn?: 'revoked' | 'entered-in-error' },
): Promise<void> {
  const cause = { reference: `CarePlan/${plan.id}` }
  for (const id of referencedRequests(plan)) {
    if (!state.withdrawn && !state.ordering) continue
    const current = await ctx.store.readForUpdate('ServiceRequest', id)
    if (!current?.json || current.deleted) continue
    const { meta: _meta, ...sr } = JSON.parse(current.json) as ServiceRequest
    // a request of another patient's is not this plan's to place or withdraw
    if (localId('Patient', sr.subject?.reference) !== localId('Patient', plan.subject?.reference)) continue
    if (state.withdrawn) {
      // only what the plan placed, or what was made for it (basedOn the plan)
      if ((sr.basedOn ?? []).some((b) => localId('CarePlan', b.reference) === plan.id)) {
        await withdrawReferral(ctx, id, `CarePlan/${plan.id} is ${plan.status}`, cause, state.withdrawn)
      }
      continue
    }
    // a draft order that is an onward referral: placed by the plan
    if (sr.status !== 'draft' || sr.intent !== 'order' || !(await isOnwardReferral(sr.performer, sr.code, ctx.store))) continue
    const basedOn = (sr.basedOn ?? []).some((b) => localId('CarePlan', b.reference) === plan.id) ? sr.basedOn : [...(sr.basedOn ?? []), cause]
    await nextVersion(ctx, ctx.store, current, { ...sr, status: 'active', basedOn }, 'PUT')
  }
}
