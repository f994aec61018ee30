// Patient/[id]/$eligibility (operations.html): is this patient eligible for community case
// management, and why? Runs the CaseHubEligibility CQL library over the patient's record, at the
// optional referral's authoredOn (else now), and answers with the route and every criterion.
import type { OperationDefinition, Parameters, ParametersParameter, Patient, Reference, ServiceRequest } from '@medplum/fhirtypes'
import { badRequest, unprocessable } from '../../errors.js'
import { registerOperation, type OperationInput } from '../../fhir/operations/registry.js'
import type { InteractionContext } from '../../fhir/types.js'
import type { EligibilityResult } from '../../rules/eligibility.js'
import { localId } from '../local-id.js'

export const ELIGIBILITY_OPERATION: OperationDefinition = {
  resourceType: 'OperationDefinition',
  id: 'Patient-eligibility',
  url: 'https://casehub.org/fhir/OperationDefinition/Patient-eligibility',
  version: '0.1.0',
  name: 'PatientEligibility',
  title: 'Eligibility for community case management',
  status: 'active',
  kind: 'operation',
  description:
    'Evaluates the CaseHubEligibility CQL library for the patient, assessed at the referral\'s authoredOn (else now). ' +
    'Returns whether the patient is eligible, the route (case-management, crisis-response, data-required, not-eligible) ' +
    'and each criterion with its kind and whether it is met (absent when the record cannot tell).',
  code: 'eligibility',
  resource: ['Patient'],
  system: false,
  type: false,
  instance: true,
  affectsState: false,
  parameter: [
    { name: 'referral', use: 'in', min: 0, max: '1', type: 'Reference', targetProfile: ['http://hl7.org/fhir/StructureDefinition/ServiceRequest'],
      documentation: 'The referral being assessed (a ServiceRequest for this patient). In a GET: ?referral=ServiceRequest/{id}' },
    { name: 'eligible', use: 'out', min: 1, max: '1', type: 'boolean' },
    { name: 'route', use: 'out', min: 1, max: '1', type: 'code' },
    { name: 'library', use: 'out', min: 0, max: '1', type: 'canonical',
      documentation: 'The CaseHubEligibility Library version that decided (url|version): the one the active intake PlanDefinition names, else the newest active version' },
    {
      name: 'criterion', use: 'out', min: 0, max: '*',
      part: [
        { name: 'name', use: 'out', min: 1, max: '1', type: 'string' },
        { name: 'kind', use: 'out', min: 1, max: '1', type: 'code', documentation: 'inclusion | exclusion' },
        { name: 'met', use: 'out', min: 0, max: '1', type: 'boolean', documentation: 'absent when unknown' },
      ],
    },
  ],
}

export function registerEligibilityOperation(): void {
  registerOperation({
    code: ELIGIBILITY_OPERATION.code!,
    definition: ELIGIBILITY_OPERATION.url!,
    resourceTypes: ['Patient'],
    system: false,
    type: false,
    instance: true,
    affectsState: false,
    inputs: [{ name: 'referral', type: 'Reference' }],
    run: async (input, ctx) => ({ status: 200, body: await eligibility(input, ctx) }),
  })
}

// Loaded on first use: the CQL translator and engine are heavy and most processes never
// evaluate. The promise is kept, since each import() goes through the loader's hooks again.
let assessment: Promise<typeof import('../eligibility.js')> | undefined

async function eligibility({ target, parameters }: OperationInput, ctx: InteractionContext): Promise<Parameters> {
  const patient = target as Patient
  const referral = await referralOf(parameters, patient, ctx)
  const { assessEligibility } = await (assessment ??= import('../eligibility.js'))
  return toParameters(await assessEligibility(ctx.store, { patient, referral, baseUrl: ctx.baseUrl }))
}

/** The `referral` parameter: a stored ServiceRequest about this patient, or nothing. */
export async function referralOf(parameters: Parameters, patient: Patient, ctx: InteractionContext): Promise<ServiceRequest | undefined> {
  const given = parameters.parameter?.filter((p) => p.name === 'referral') ?? []
  if (given.length === 0) return undefined
  if (given.length > 1) throw badRequest('Give at most one referral', 'referral')
  const text = given[0].valueReference?.reference ?? given[0].valueString
  const id = localId('ServiceRequest', text)
  if (!id) throw badRequest('The referral must be a reference to a ServiceRequest, e.g. ServiceRequest/123', 'referral')
  const stored = await ctx.store.read('ServiceRequest', id)
  if (!stored || stored.deleted || !stored.json) throw unprocessable(`The referral ServiceRequest/${id} is not known`, 'referral')
  const referral = JSON.parse(stored.json) as ServiceRequest
  if (!isAbout(referral.subject, patient.id!)) {
    throw unprocessable(`The referral ServiceRequest/${id} is not for Patient/${patient.id}`, 'referral')
  }
  return referral
}

function isAbout(subject: Reference | undefined, patientId: string): boolean {
  const ref = subject?.reference ?? ''
  return ref === `Patient/${patientId}` || ref.endsWith(`/Patient/${patientId}`)
}

export function toParameters(result: EligibilityResult): Parameters {
  const criterion = (c: EligibilityResult['criteria'][number]): ParametersParameter => ({
    name: 'criterion',
    part: [
      { name: 'name', valueString: c.name },
      { name: 'kind', valueCode: c.kind },
      ...(c.met === undefined ? [] : [{ name: 'met', valueBoolean: c.met }]),
    ],
  })
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'eligible', valueBoolean: result.eligible },
      { name: 'route', valueCode: result.route },
      ...(result.library ? [{ name: 'library', valueCanonical: result.library }] : []),
      ...result.criteria.map(criterion),
    ],
  }
}
