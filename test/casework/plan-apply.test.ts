// PlanDefinition/$apply (R4 operation-plandefinition-apply.html, plandefinition.html#12.18.3.3)
// over HTTP against a real server and PostgreSQL: the intake PlanDefinition applied to patients
// of the eligibility scenario table, type-level invocation, and the errors.
import t from 'tap'
import type { CarePlan, Parameters, PlanDefinition, RequestGroup, RequestGroupAction, Resource, Task } from '@medplum/fhirtypes'
import { callOperation, startTestServer, type TestServer } from '../helpers/test-server.js'
import { SCENARIOS } from '../rules/eligibility-scenarios.js'

const INTAKE = 'https://casehub.org/fhir/PlanDefinition/casehub-intake'
const ACCEPT = 'Accept for case management'
const CRISIS = 'Redirect to the Community Crisis Response Team'
const HOLD = 'Hold: more information required (birth date, registered GP practice)'
const REJECT = 'Reject: not eligible, with the deciding criterion'

const transaction = (resources: Resource[]): any => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
})

const params = (...parameter: Parameters['parameter'] & object): Parameters => ({ resourceType: 'Parameters', parameter })
const subject = (id: string) => ({ name: 'subject', valueString: `Patient/${id}` })
const referral = (id: string) => ({ name: 'referral', valueReference: { reference: `ServiceRequest/${id}` } })

const call = callOperation

/** The RequestGroup the CarePlan's activity references. */
function requestGroup(plan: CarePlan): RequestGroup {
  const ref = plan.activity?.[0]?.reference?.reference
  return plan.contained?.find((r) => `#${r.id}` === ref) as RequestGroup
}

/** Titles of the RequestGroup's actions, nested as the actions are. */
const titles = (actions: RequestGroupAction[] = []): unknown[] => actions.map((a) => (a.action ? [a.title, titles(a.action)] : a.title))

t.test('PlanDefinition/$apply', async (t) => {
  const hub = await startTestServer(t)
  const byId = new Map(SCENARIOS.map((s) => [s.id, s]))
  const orgs = new Map(SCENARIOS.flatMap((s) => s.resources.filter((r) => r.resourceType === 'Organization')).map((r) => [r.id, r]))
  await hub.client.transaction({ body: transaction([...orgs.values()]) })
  for (const id of ['01', '02', '03', '05', '45']) {
    await hub.client.transaction({ body: transaction(byId.get(id)!.resources.filter((r) => r.resourceType !== 'Organization')) })
  }
  const applyTo = async (id: string) =>
    (await hub.client.operation({
      name: 'apply', resourceType: 'PlanDefinition', id: 'casehub-intake',
      input: params(subject(`elig-${id}`), referral(`elig-${id}-sr`)) as any,
    })) as any as CarePlan

  t.test('an eligible patient gets the CarePlan with "Accept for case management" only (R4 $apply: return 1..1 CarePlan)', async (t) => {
    const before = await hub.rows()
    const plan = await applyTo('01')
    t.equal(plan.resourceType, 'CarePlan')
    t.equal(plan.status, 'draft')
    t.equal(plan.intent, 'proposal')
    t.same(plan.subject, { reference: 'Patient/elig-01' })
    t.same(plan.instantiatesCanonical, [`${INTAKE}|0.1.0`])
    t.same(plan.supportingInfo, [{ reference: 'ServiceRequest/elig-01-sr' }], 'the referral it was applied for')
    t.notOk(plan.id, 'not stored, so no id')
    const group = requestGroup(plan)
    t.equal(group?.resourceType, 'RequestGroup', 'CarePlan.activity.reference names the contained RequestGroup')
    t.equal(group.status, 'draft')
    t.equal(group.intent, 'proposal')
    t.same(group.subject, { reference: 'Patient/elig-01' })
    t.same(group.instantiatesCanonical, [`${INTAKE}|0.1.0`])
    t.same(titles(group.action), [['Triage a referral', [ACCEPT]]])
    const accept = group.action![0].action![0]
    t.notOk(accept.condition, 'applicability conditions are evaluated, not carried over')
    const task = plan.contained?.find((r) => `#${r.id}` === accept.resource?.reference) as Task
    t.match(task, {
      resourceType: 'Task', status: 'draft', intent: 'proposal', description: ACCEPT,
      for: { reference: 'Patient/elig-01' }, focus: { reference: 'ServiceRequest/elig-01-sr' },
    }, 'the action proposes a Task, contained alongside (RequestGroup rqg-1: a resource or sub-actions)')
    t.equal(plan.contained?.length, 2, 'the RequestGroup and one Task')
    t.equal(await hub.rows(), before, 'nothing is stored (R4 $apply returns, it does not persist)')
  })

  t.test('the other routes: each patient gets only the action whose condition is true', async (t) => {
    t.same(titles(requestGroup(await applyTo('03')).action), [['Triage a referral', [REJECT]]], 'the day before the 18th birthday: not eligible')
    t.same(titles(requestGroup(await applyTo('05')).action), [['Triage a referral', [HOLD]]], 'no birth date: more information required')
    t.same(titles(requestGroup(await applyTo('45')).action), [['Triage a referral', [CRISIS]]], 'acutely unwell: crisis response')
    t.same(titles(requestGroup(await applyTo('02')).action), [['Triage a referral', [ACCEPT]]], 'on the 18th birthday: eligible')
  })

  t.test('the returned CarePlan is valid R4 (CarePlan/$validate)', async (t) => {
    const plan = await applyTo('01')
    const out = await call(hub, 'CarePlan/$validate', params({ name: 'resource', resource: plan } as any))
    t.equal(out.status, 200)
    t.same(out.body.issue.filter((i: any) => i.severity === 'error' || i.severity === 'fatal'), [], 'no errors')
  })

  t.test('GET with subject, referral and the optional R4 inputs, which are accepted', async (t) => {
    const q = 'subject=Patient/elig-03&referral=ServiceRequest/elig-03-sr&encounter=Encounter/elig-03-ae&practitioner=Practitioner/dr-1'
      + '&organization=Organization/cmt-trafford&userType=nurse&userLanguage=en-GB&userTaskContext=triage&setting=community&settingContext=home'
    const out = await call(hub, `PlanDefinition/casehub-intake/$apply?${q}`)
    t.equal(out.status, 200)
    const plan = out.body as CarePlan
    t.same(plan.encounter, { reference: 'Encounter/elig-03-ae' })
    t.same(plan.author, { reference: 'Practitioner/dr-1' }, 'the practitioner applying the plan is its author')
    t.same(titles(requestGroup(plan).action), [['Triage a referral', [REJECT]]])
  })

  t.test('type level: PlanDefinition/$apply by canonical, by url and version, or inline', async (t) => {
    const byCanonical = (await hub.client.operation({
      name: 'apply', resourceType: 'PlanDefinition',
      input: params({ name: 'planDefinition', valueCanonical: `${INTAKE}|0.1.0` } as any, subject('elig-01'), referral('elig-01-sr')) as any,
    })) as any as CarePlan
    t.same(titles(requestGroup(byCanonical).action), [['Triage a referral', [ACCEPT]]], 'planDefinition as a canonical')

    const byUrl = await call(hub, `PlanDefinition/$apply?url=${encodeURIComponent(INTAKE)}&subject=Patient/elig-05&referral=ServiceRequest/elig-05-sr`)
    t.equal(byUrl.status, 200)
    t.same(titles(requestGroup(byUrl.body).action), [['Triage a referral', [HOLD]]], 'url without a version: the newest')

    // An inline PlanDefinition without a library: its conditions are CQL over FHIR alone.
    const inline: PlanDefinition = {
      resourceType: 'PlanDefinition', status: 'draft', url: 'https://example.org/PlanDefinition/age', version: '1',
      action: [
        { title: 'adult', condition: [{ kind: 'applicability', expression: { language: 'text/cql', expression: 'AgeInYears() >= 18' } }] },
        { title: 'child', condition: [{ kind: 'applicability', expression: { language: 'text/cql', expression: 'AgeInYears() < 18' } }] },
        { title: 'always', condition: [{ kind: 'start', expression: { language: 'text/fhirpath', expression: 'true' } }] },
        { title: 'empty group', action: [{ title: 'never', condition: [{ kind: 'applicability', expression: { language: 'text/cql', expression: 'false' } }] }] },
      ],
    }
    const out = await call(hub, 'PlanDefinition/$apply', params({ name: 'planDefinition', resource: inline } as any, subject('elig-01')))
    t.equal(out.status, 200)
    const group = requestGroup(out.body)
    t.same(titles(group.action), ['adult', 'always'], 'an action without applicability conditions applies; a group with none that apply does not')
    t.same(group.action![1].condition, inline.action![2].condition, 'start conditions are carried over')
    t.same(out.body.instantiatesCanonical, ['https://example.org/PlanDefinition/age|1'])
  })

  t.test('the CapabilityStatement lists $apply on PlanDefinition', async (t) => {
    const cs = (await hub.client.capabilityStatement()) as any
    const pd = cs.rest[0].resource.find((r: any) => r.type === 'PlanDefinition')
    t.same(pd.operation?.filter((o: any) => o.name === 'apply'), [{ name: 'apply', definition: 'http://hl7.org/fhir/OperationDefinition/PlanDefinition-apply' }])
  })

  t.test('errors', async (t) => {
    const apply = (query: string, body?: object) => call(hub, `PlanDefinition/casehub-intake/$apply${query}`, body)

    const unknown = await call(hub, 'PlanDefinition/nope/$apply?subject=Patient/elig-01')
    t.equal(unknown.status, 404, 'an unknown PlanDefinition')
    t.equal(unknown.body.resourceType, 'OperationOutcome')

    // [what, path below /fhir (or a query on the intake PlanDefinition), status, the parameter named]
    const INTAKE = 'PlanDefinition/casehub-intake/$apply'
    const cases: [string, string, number, string][] = [
      ['a subject that is not a Patient', `${INTAKE}?subject=Group/g1`, 400, 'subject'],
      ['one subject at a time', `${INTAKE}?subject=Patient/elig-01&subject=Patient/elig-03`, 400, 'subject'],
      ['a subject the server does not hold', `${INTAKE}?subject=Patient/nobody`, 404, 'subject'],
      ['a referral for another patient', `${INTAKE}?subject=Patient/elig-01&referral=ServiceRequest/elig-03-sr`, 422, 'referral'],
      ['an encounter that is not an Encounter reference', `${INTAKE}?subject=Patient/elig-01&encounter=Patient/elig-01`, 400, 'encounter'],
      ['no planDefinition or url at instance level', `${INTAKE}?subject=Patient/elig-01&url=https://example.org/x`, 400, 'url'],
      ['type level needs the PlanDefinition', 'PlanDefinition/$apply?subject=Patient/elig-01', 400, 'planDefinition'],
    ]
    const noSubject = await apply('', params())
    t.equal(noSubject.status, 400, 'subject is required (1..*)')
    t.same(noSubject.body.issue[0].expression, ['subject'])
    for (const [what, path, status, parameter] of cases) {
      const res = await call(hub, path)
      t.equal(res.status, status, what)
      t.same(res.body.issue[0].expression, [parameter], `${what}: names ${parameter}`)
      if (status === 404) t.match(res.body.issue[0].diagnostics, /Patient\/nobody is not known/)
    }

    const typeUnknown = await call(hub, 'PlanDefinition/$apply?planDefinition=https://example.org/none|1&subject=Patient/elig-01')
    t.equal(typeUnknown.status, 404, 'a canonical the server does not hold')
  })

  t.test('PlanDefinitions CaseHub cannot apply: 422 naming the condition (never 500)', async (t) => {
    const plan = (id: string, condition: object): PlanDefinition => ({
      resourceType: 'PlanDefinition', id, status: 'draft', url: `https://example.org/PlanDefinition/${id}`,
      library: ['https://casehub.org/fhir/Library/CaseHubEligibility|0.1.0'],
      action: [{
        title: 'group',
        action: [
          { title: 'first', condition: [{ kind: 'applicability', expression: { language: 'text/cql', expression: '"Route" = \'case-management\'' } }] },
          { title: 'second', condition: [{ kind: 'applicability', ...condition }] },
        ],
      }],
    })
    const put = async (p: PlanDefinition) => t.equal((await hub.fetch(`PlanDefinition/${p.id}`, {
      method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(p),
    })).status, 201, `stored ${p.id}`)
    await put(plan('fhirpath', { expression: { language: 'text/fhirpath', expression: '%patient.birthDate.exists()' } }))
    await put(plan('no-compile', { expression: { language: 'text/cql', expression: '"No Such Define" = 1' } }))
    await put(plan('not-boolean', { expression: { language: 'text/cql', expression: '"Route"' } }))
    const query = '?subject=Patient/elig-01&referral=ServiceRequest/elig-01-sr'

    const fhirpath = await call(hub, `PlanDefinition/fhirpath/$apply${query}`)
    t.equal(fhirpath.status, 422, 'a condition in text/fhirpath')
    t.equal(fhirpath.body.issue[0].code, 'not-supported')
    t.same(fhirpath.body.issue[0].expression, ['PlanDefinition.action[0].action[1].condition[0].expression'])
    t.match(fhirpath.body.issue[0].diagnostics, /text\/fhirpath/)

    const noCompile = await call(hub, `PlanDefinition/no-compile/$apply${query}`)
    t.equal(noCompile.status, 422, 'CQL that does not compile')
    t.same(noCompile.body.issue.map((i: any) => i.expression[0]), ['PlanDefinition.action[0].action[1].condition[0].expression.expression'])
    t.match(noCompile.body.issue[0].diagnostics, /No Such Define/)

    const notBoolean = await call(hub, `PlanDefinition/not-boolean/$apply${query}`)
    t.equal(notBoolean.status, 422, 'an expression that is not true or false')
    t.same(notBoolean.body.issue[0].expression, ['PlanDefinition.action[0].action[1].condition[0].expression.expression'])

    const noLibrary = await call(hub, 'PlanDefinition/$apply', params(
      { name: 'planDefinition', resource: { ...plan('x', { expression: { language: 'text/cql', expression: 'true' } }), id: undefined, library: ['https://example.org/Library/Missing|1'] } } as any,
      subject('elig-01'),
    ))
    t.equal(noLibrary.status, 422, 'a library the server does not hold')
    t.same(noLibrary.body.issue[0].expression, ['PlanDefinition.library[0]'])
  })
})
