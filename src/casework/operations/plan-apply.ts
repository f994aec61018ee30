// PlanDefinition/$apply and PlanDefinition/[id]/$apply (R4 operation-plandefinition-apply.html,
// plandefinition.html#12.18.3.3 "Applying a PlanDefinition"): applies a PlanDefinition, e.g. the
// intake's casehub-intake, to one patient and returns the proposed CarePlan with the applicable
// actions in a contained RequestGroup. Nothing is stored.
//
// Inputs: subject (Patient/{id}, required); at type level planDefinition (a PlanDefinition
// resource, or its canonical `url|version`) or url (+ version, as the CPG IG's $apply); encounter,
// practitioner and organization (used as the CarePlan's encounter and author); userType,
// userLanguage, userTaskContext, setting, settingContext (accepted, not used); and CaseHub's
// referral (a ServiceRequest for the subject: the plan is applied at its authoredOn, else now).
import type { CarePlan, Encounter, Organization, ParametersParameter, Patient, PlanDefinition, Practitioner, PractitionerRole, Reference, Resource } from '@medplum/fhirtypes'
import { badRequest, invalidResource, notFound } from '../../errors.js'
import { registerOperation, type OperationInput, type OperationParameter } from '../../fhir/operations/registry.js'
import { findResources } from '../../fhir/search/find.js'
import type { InteractionContext } from '../../fhir/types.js'
import { checkResource } from '../../fhir/validation/index.js'
import { localId } from '../local-id.js'
import { referralOf } from './eligibility.js'

export const APPLY_OPERATION = 'http://hl7.org/fhir/OperationDefinition/PlanDefinition-apply'

/** R4 inputs that tailor decision support to the user and setting; CaseHub's plans do not use them. */
const UNUSED = ['userType', 'userLanguage', 'userTaskContext', 'setting', 'settingContext']

const INPUTS: OperationParameter[] = [
  { name: 'planDefinition', type: 'canonical' },
  { name: 'url', type: 'uri' },
  { name: 'version', type: 'string' },
  { name: 'subject', type: 'string' },
  { name: 'encounter', type: 'string' },
  { name: 'practitioner', type: 'string' },
  { name: 'organization', type: 'string' },
  // CodeableConcepts in R4; read as text from a query string so that giving them never fails
  ...UNUSED.map((name) => ({ name, type: 'string' as const })),
  { name: 'referral', type: 'Reference' },
]

export function registerPlanApplyOperation(): void {
  registerOperation({
    code: 'apply',
    definition: APPLY_OPERATION,
    resourceTypes: ['PlanDefinition'],
    system: false,
    type: true,
    instance: true,
    affectsState: false,
    inputs: INPUTS,
    run: async (input, ctx) => ({ status: 200, body: await apply(input, ctx) }),
  })
}

async function apply(input: OperationInput, ctx: InteractionContext): Promise<CarePlan> {
  const plan = input.level === 'instance' ? instancePlan(input) : await typePlan(input, ctx)
  const patient = await subjectOf(input, ctx)
  const referral = await referralOf(input.parameters, patient, ctx)
  const context = {
    encounter: referenceTo<Encounter>(input, 'encounter', ['Encounter']),
    practitioner: referenceTo<Practitioner | PractitionerRole>(input, 'practitioner', ['Practitioner', 'PractitionerRole']),
    organization: referenceTo<Organization>(input, 'organization', ['Organization']),
  }
  // Loaded on first use: the CQL translator and engine are heavy and most processes never evaluate.
  const { applyPlanDefinition } = await import('../plan-definition/apply.js')
  return applyPlanDefinition(ctx.store, { plan, patient, referral, baseUrl: ctx.baseUrl, now: new Date(), ...context })
}

const given = (input: OperationInput, name: string) => input.parameters.parameter?.filter((p) => p.name === name) ?? []

/** A parameter's value as text, whether sent as a string, a uri/canonical or a Reference. */
function textOf(p: ParametersParameter): string | undefined {
  return p.valueString ?? p.valueReference?.reference ?? p.valueCanonical ?? p.valueUri ?? p.valueUrl ?? p.valueId
}

function instancePlan(input: OperationInput): PlanDefinition {
  for (const name of ['planDefinition', 'url', 'version']) {
    if (given(input, name).length) throw badRequest(`${name} is not allowed when $apply is invoked on PlanDefinition/${input.id}`, name)
  }
  return input.target as PlanDefinition
}

/** Type level: the PlanDefinition given inline, or the stored one its canonical names. */
async function typePlan(input: OperationInput, ctx: InteractionContext): Promise<PlanDefinition> {
  const inline = given(input, 'planDefinition')
  const url = given(input, 'url')
  const version = given(input, 'version')
  if (inline.length > 1 || url.length > 1 || version.length > 1) throw badRequest('Give one PlanDefinition', inline.length > 1 ? 'planDefinition' : url.length > 1 ? 'url' : 'version')
  if (inline.length && (url.length || version.length)) throw badRequest('Give the PlanDefinition either as planDefinition or by url, not both', 'planDefinition')
  const resource = inline[0]?.resource
  if (resource) {
    const errors = checkResource(resource, { expectedType: 'PlanDefinition' }).filter((i) => i.severity === 'error' || i.severity === 'fatal')
    if (errors.length) throw invalidResource(errors)
    return resource as PlanDefinition
  }
  const [param, text] = url.length ? ['url', textOf(url[0])] : ['planDefinition', inline[0] && textOf(inline[0])]
  if (!text) {
    throw badRequest('At type level, give the PlanDefinition to apply: planDefinition (a PlanDefinition, or its canonical url|version) or url (and version)', param)
  }
  const canonical = version[0] && textOf(version[0]) ? `${text}|${textOf(version[0])}` : text
  return storedPlan(canonical, param, ctx)
}

/** The stored PlanDefinition with this canonical (`url|version`); the highest version when none is given. */
async function storedPlan(canonical: string, param: string, ctx: InteractionContext): Promise<PlanDefinition> {
  const bar = canonical.lastIndexOf('|')
  const [url, version] = bar < 0 ? [canonical, undefined] : [canonical.slice(0, bar), canonical.slice(bar + 1)]
  const escape = (v: string) => v.replace(/[\\,$|]/g, (c) => `\\${c}`)
  const plans = await findResources<PlanDefinition>(ctx.store, 'PlanDefinition', { url: escape(url), ...(version ? { version: escape(version) } : {}) }, { baseUrl: ctx.baseUrl })
  plans.sort((a, b) => (b.version ?? '').localeCompare(a.version ?? '', undefined, { numeric: true }))
  if (!plans[0]) throw notFound(`No PlanDefinition ${canonical} is held here`, param)
  return plans[0]
}

/** The one Patient the plan is applied to (R4 allows other subject types and several; CaseHub applies to one patient). */
async function subjectOf(input: OperationInput, ctx: InteractionContext): Promise<Patient> {
  const subjects = given(input, 'subject')
  if (subjects.length === 0) throw badRequest('subject is required: the Patient to apply the PlanDefinition to, e.g. subject=Patient/123', 'subject')
  if (subjects.length > 1) throw badRequest('Give one subject: CaseHub applies a PlanDefinition to one patient at a time', 'subject')
  const text = textOf(subjects[0])
  const id = localId('Patient', text)
  if (!id) throw badRequest(`subject must be a reference to a Patient, e.g. Patient/123, not "${String(text ?? '').slice(0, 80)}"`, 'subject')
  const stored = await ctx.store.read('Patient', id)
  if (!stored || stored.deleted || !stored.json) throw notFound(`The subject Patient/${id} ${stored?.deleted ? 'was deleted' : 'is not known'}`, 'subject')
  return JSON.parse(stored.json) as Patient
}

/** An optional context reference (encounter, practitioner, organization), as Type/id. */
function referenceTo<T extends Resource>(input: OperationInput, name: string, types: T['resourceType'][]): Reference<T> | undefined {
  const values = given(input, name)
  if (values.length === 0) return undefined
  if (values.length > 1) throw badRequest(`Give at most one ${name}`, name)
  const text = textOf(values[0])
  for (const type of types) {
    const id = localId(type, text)
    if (id) return { reference: `${type}/${id}` }
  }
  throw badRequest(`${name} must be a reference to ${types.join(' or ')}, e.g. ${types[0]}/123`, name)
}
