// The result of $apply (R4 operation-plandefinition-apply.html): a CarePlan, draft proposal, whose
// single activity is a contained RequestGroup holding the applicable actions
// (plandefinition.html#12.18.3.3): an action is applicable when all of its applicability
// conditions are true (AND semantics, PlanDefinition.action.condition); inapplicable actions are
// left out with their children (and a group none of whose actions apply); start and stop
// conditions are carried over for later.
//
// R4 requires each RequestGroup action to have a resource or sub-actions (rqg-1), and CaseHub's
// plans describe work rather than point to ActivityDefinitions, so each applicable leaf action
// becomes a proposed Task (draft, intent proposal) contained alongside: the CarePlan can be
// stored as it is, and the Task made real when the work is taken on.
import type { CarePlan, Encounter, Organization, Patient, PlanDefinition, PlanDefinitionAction, Practitioner, PractitionerRole, Reference, RequestGroup, RequestGroupAction, Task } from '@medplum/fhirtypes'

export interface ApplyContext {
  subject: Reference<Patient>
  encounter?: Reference<Encounter>
  /** the practitioner applying the plan */
  practitioner?: Reference<Practitioner | PractitionerRole>
  /** the organization applying the plan */
  organization?: Reference<Organization>
  /** the referral the plan is applied for */
  referral?: Reference
  /** when the plan was applied */
  now: Date
}

const REQUEST_GROUP_ID = 'request-group'

// Elements a RequestGroup action shares with a PlanDefinition action (requestgroup.html#resource).
const COPIED = [
  'id', 'prefix', 'title', 'description', 'textEquivalent', 'priority', 'code', 'documentation', 'relatedAction',
  'timingDateTime', 'timingAge', 'timingPeriod', 'timingDuration', 'timingRange', 'timingTiming',
  'type', 'groupingBehavior', 'selectionBehavior', 'requiredBehavior', 'precheckBehavior', 'cardinalityBehavior',
] as const

/** `conditions` holds the value of each applicability condition by its FHIRPath (undefined: null). */
export function carePlan(plan: PlanDefinition, conditions: ReadonlyMap<string, boolean | undefined>, ctx: ApplyContext): CarePlan {
  const canonical = plan.url ? (plan.version ? `${plan.url}|${plan.version}` : plan.url) : undefined
  const instantiates = canonical ? { instantiatesCanonical: [canonical] } : {}
  const created = ctx.now.toISOString()
  const tasks: Task[] = []
  const actions = applicable(plan.action, 'PlanDefinition', conditions, (action) => {
    const task = proposedTask(action, `task-${tasks.length + 1}`, ctx, created)
    tasks.push(task)
    return { reference: `#${task.id}` }
  })
  const group: RequestGroup = {
    resourceType: 'RequestGroup',
    id: REQUEST_GROUP_ID,
    ...instantiates,
    ...(ctx.referral ? { basedOn: [ctx.referral] } : {}),
    status: 'draft',
    intent: 'proposal',
    subject: ctx.subject,
    ...(ctx.encounter ? { encounter: ctx.encounter } : {}),
    authoredOn: created,
    // RequestGroup.author may be a Practitioner, not an Organization
    ...(ctx.practitioner ? { author: ctx.practitioner } : {}),
    ...(actions.length ? { action: actions } : {}),
  }
  const author = ctx.practitioner ?? ctx.organization
  return {
    resourceType: 'CarePlan',
    contained: [group, ...tasks],
    ...instantiates,
    status: 'draft',
    intent: 'proposal',
    ...(plan.title ? { title: plan.title } : {}),
    subject: ctx.subject,
    ...(ctx.encounter ? { encounter: ctx.encounter } : {}),
    created,
    ...(author ? { author } : {}),
    ...(ctx.referral ? { supportingInfo: [ctx.referral] } : {}),
    activity: [{ reference: { reference: `#${REQUEST_GROUP_ID}` } }],
  }
}

type ResourceOf = (action: PlanDefinitionAction) => Reference

function applicable(actions: PlanDefinitionAction[] | undefined, path: string, conditions: ReadonlyMap<string, boolean | undefined>, resourceOf: ResourceOf): RequestGroupAction[] {
  const out: RequestGroupAction[] = []
  for (const [i, action] of (actions ?? []).entries()) {
    const at = `${path}.action[${i}]`
    const conds = action.condition ?? []
    if (!conds.every((c, j) => c.kind !== 'applicability' || conditions.get(`${at}.condition[${j}]`) === true)) continue
    const copy: RequestGroupAction = {}
    for (const key of COPIED) if (action[key] !== undefined) (copy as Record<string, unknown>)[key] = action[key]
    const carried = conds.filter((c) => c.kind !== 'applicability')
    if (carried.length) copy.condition = carried
    const children = applicable(action.action, at, conditions, resourceOf)
    // A group none of whose actions apply proposes nothing, so it is left out too.
    if (action.action?.length && !children.length) continue
    if (children.length) copy.action = children
    else copy.resource = resourceOf(action)
    out.push(copy)
  }
  return out
}

function proposedTask(action: PlanDefinitionAction, id: string, ctx: ApplyContext, created: string): Task {
  const requester = ctx.practitioner ?? ctx.organization
  const description = [action.title, action.description].filter(Boolean).join(': ')
  return {
    resourceType: 'Task',
    id,
    status: 'draft',
    intent: 'proposal',
    ...(action.code?.[0] ? { code: action.code[0] } : {}),
    ...(description ? { description } : {}),
    ...(ctx.referral ? { focus: ctx.referral } : {}),
    for: ctx.subject,
    ...(ctx.encounter ? { encounter: ctx.encounter } : {}),
    authoredOn: created,
    ...(requester ? { requester } : {}),
  }
}
