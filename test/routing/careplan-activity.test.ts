// Onward referrals made as CarePlan activities (issue 6: "… or as a CarePlan activity"; R4
// careplan.html#CarePlan.activity.detail, the inline definition of an activity when no reference
// is given). The activity becomes one ServiceRequest basedOn the plan, delivered once to a real
// receiver on 127.0.0.1 however often the plan is written; cancelling the activity withdraws it.
import t from 'tap'
import type { Resource } from '@medplum/fhirtypes'
import { outboxRows, seedDestination, startHub, startReceiver, trackingTask, until, type Hub } from './helpers.js'

const SCT = 'http://snomed.info/sct'
const SOCIAL_PRESCRIBING = { coding: [{ system: SCT, code: '871731000000106', display: 'Referral to social prescribing service' }] }
const ACTIVITY_ID = 'https://casehub.org/fhir/Id/careplan-activity'

const referralActivity = (extra: Record<string, unknown> = {}) => ({
  detail: {
    kind: 'ServiceRequest',
    status: 'scheduled',
    code: SOCIAL_PRESCRIBING,
    performer: [{ reference: 'HealthcareService/hs-1' }],
    description: 'Social prescribing for isolation',
    ...extra,
  },
})

const carePlan = (activity: unknown[], extra: Record<string, unknown> = {}): any => ({
  resourceType: 'CarePlan',
  status: 'active',
  intent: 'plan',
  title: 'Case management plan',
  subject: { reference: 'Patient/pat-1' },
  author: { reference: 'Organization/cmt-trafford', display: 'Trafford Case Management Team' },
  activity,
  ...extra,
})

const madeFor = async (hub: Hub, planId: string) => ((await hub.json(`ServiceRequest?based-on=CarePlan/${planId}`)).entry ?? []).map((e: any) => e.resource)

async function put(hub: Hub, resource: any) {
  return hub.fetch(`${resource.resourceType}/${resource.id}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(resource) })
}

t.test('careplan.html#CarePlan.activity.detail: a ServiceRequest activity is delivered exactly once, also after the plan is updated twice', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t)
  await seedDestination(hub, receiver.url)
  const plan = await hub.post(carePlan([referralActivity(), { detail: { status: 'in-progress', description: 'Weekly nurse visit' } }]))

  const [sr, ...others] = await madeFor(hub, plan.id)
  t.equal(others.length, 0, 'one ServiceRequest: the other activity is no referral')
  t.match(sr, {
    status: 'active',
    intent: 'order',
    subject: { reference: 'Patient/pat-1' },
    basedOn: [{ reference: `CarePlan/${plan.id}` }],
    identifier: [{ system: ACTIVITY_ID, value: `CarePlan/${plan.id}#activity[0]` }],
    code: SOCIAL_PRESCRIBING,
    performer: [{ reference: 'HealthcareService/hs-1' }],
    requester: { reference: 'Organization/cmt-trafford' },
    note: [{ text: 'Social prescribing for isolation' }],
  })
  t.ok(Date.now() - Date.parse(sr.authoredOn) < 60_000, 'authoredOn is now')
  const stored = await hub.json(`CarePlan/${plan.id}`)
  t.notOk(stored.activity[0].reference, 'cpl-3: no reference is written beside the detail')
  // the worker may have delivered it already: requested until then, received after
  t.match(await trackingTask(hub, sr.id), { status: /^(requested|received)$/, owner: { reference: 'HealthcareService/hs-1' } })

  await until(async () => (await outboxRows(hub))[0]?.status === 'delivered', 10_000, 'delivery')
  // two updates: the activity gets under way, then the plan's title changes
  const v2 = carePlan([referralActivity({ status: 'in-progress' }), { detail: { status: 'in-progress', description: 'Weekly nurse visit' } }], { id: plan.id })
  t.equal((await put(hub, v2)).status, 200)
  t.equal((await put(hub, { ...v2, title: 'Case management plan (revised)' })).status, 200)
  await new Promise((r) => setTimeout(r, 500))

  t.equal((await madeFor(hub, plan.id)).length, 1, 'still one ServiceRequest')
  t.equal((await outboxRows(hub)).length, 1, 'one delivery')
  t.equal(receiver.requests.length, 1, 'the receiver got it once')
  const sent = receiver.requests[0].entry!.find((e) => e.resource?.resourceType === 'ServiceRequest')!.resource as any
  t.match(sent, { code: SOCIAL_PRESCRIBING, identifier: [{ system: ACTIVITY_ID }] })
})

t.test('which activities are referrals: a HealthcareService performer, or no performer and a code the routing rules map', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t)
  await seedDestination(hub, receiver.url)
  // a social prescribing service the routing rules find (the patient's practice is not known: any covers)
  await hub.put({ ...(await hub.json('HealthcareService/hs-1')), id: 'hs-rules', type: [{ coding: [{ system: 'https://casehub.org/fhir/CodeSystem/service-type', code: 'social-prescribing' }] }] })
  const plan = await hub.post(
    carePlan([
      { id: 'by-rules', detail: { kind: 'ServiceRequest', status: 'scheduled', code: SOCIAL_PRESCRIBING } },
      { detail: { kind: 'ServiceRequest', status: 'scheduled', code: { coding: [{ system: SCT, code: '134440006', display: 'Referral to heart failure clinic' }] } } },
      { detail: { kind: 'ServiceRequest', status: 'scheduled', code: SOCIAL_PRESCRIBING, performer: [{ reference: 'Practitioner/nurse-1' }] } },
      { detail: { kind: 'ServiceRequest', status: 'not-started', code: SOCIAL_PRESCRIBING, performer: [{ reference: 'HealthcareService/hs-1' }] } },
      { detail: { kind: 'ServiceRequest', status: 'scheduled', performer: [{ reference: 'HealthcareService/hs-1' }], description: 'no code' } },
      { detail: { kind: 'Appointment', status: 'scheduled', code: SOCIAL_PRESCRIBING, performer: [{ reference: 'HealthcareService/hs-1' }] } },
    ]),
  )
  const made = await madeFor(hub, plan.id)
  t.equal(made.length, 1, 'only the activity the routing rules map')
  t.equal(made[0].identifier[0].value, `CarePlan/${plan.id}#by-rules`, 'keyed by the activity’s element id')
  t.match(await trackingTask(hub, made[0].id), { owner: { reference: 'HealthcareService/hs-rules' } })

  const proposal = await hub.post(carePlan([referralActivity()], { intent: 'proposal' }))
  const draft = await hub.post(carePlan([referralActivity()], { status: 'draft' }))
  t.equal((await madeFor(hub, proposal.id)).length, 0, 'a proposal orders nothing')
  t.equal((await madeFor(hub, draft.id)).length, 0, 'nor does a draft plan')
  t.equal((await put(hub, { ...draft, status: 'active' })).status, 200)
  t.equal((await madeFor(hub, draft.id)).length, 1, 'until it becomes active')
})

t.test('an activity cancelled before delivery revokes its ServiceRequest and stops the delivery; restarting it is refused', async (t) => {
  const hub = await startHub(t, false) // no worker: nothing is delivered
  await seedDestination(hub, 'http://127.0.0.1:9/fhir')
  const plan = await hub.post(carePlan([referralActivity()]))
  const [sr] = await madeFor(hub, plan.id)
  t.equal((await outboxRows(hub)).length, 1, 'delivery queued')

  const cancelled = carePlan([referralActivity({ status: 'cancelled' })], { id: plan.id })
  t.equal((await put(hub, cancelled)).status, 200)
  t.equal((await hub.json(`ServiceRequest/${sr.id}`)).status, 'revoked', 'servicerequest.html: revoked')
  t.equal((await outboxRows(hub)).length, 0, 'the delivery will not happen')
  t.match(await trackingTask(hub, sr.id), { status: 'cancelled', businessStatus: { text: 'Withdrawn before delivery' } })
  t.equal((await put(hub, cancelled)).status, 200, 'writing it again changes nothing')
  t.equal((await hub.json(`ServiceRequest/${sr.id}/_history`)).total, 2)

  const before = (await hub.json(`CarePlan/${plan.id}`)).meta.versionId
  const restart = await put(hub, carePlan([referralActivity()], { id: plan.id }))
  t.equal(restart.status, 422)
  t.match(await restart.json(), { resourceType: 'OperationOutcome', issue: [{ expression: ['CarePlan.activity[0].detail.status'] }] })
  t.equal((await hub.json(`CarePlan/${plan.id}`)).meta.versionId, before, 'the plan is not written')
})

t.test('an activity cancelled after delivery keeps its ServiceRequest and asks the team to cancel it with the receiver', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t)
  await seedDestination(hub, receiver.url)
  const plan = await hub.post(carePlan([referralActivity()]))
  const [sr] = await madeFor(hub, plan.id)
  await until(async () => (await trackingTask(hub, sr.id))?.status === 'received', 10_000, 'delivered')

  for (let i = 0; i < 2; i++) t.equal((await put(hub, carePlan([referralActivity({ status: 'cancelled' })], { id: plan.id }))).status, 200)
  t.equal((await hub.json(`ServiceRequest/${sr.id}`)).status, 'active', 'the receiver holds it: not revoked here')
  const asks = (await hub.json(`Task?focus=ServiceRequest/${sr.id}&code=http://hl7.org/fhir/CodeSystem/task-code|abort`)).entry ?? []
  t.equal(asks.length, 1, 'one Task for the team, however often the plan is written')
  t.match(asks[0].resource, { status: 'requested', owner: { display: 'Trafford Case Management Team' }, reasonReference: { reference: `CarePlan/${plan.id}` }, description: /Trafford Social Prescribing 1/ })
  t.equal(receiver.requests.length, 1)
})

t.test('changing a referred activity’s code is refused with its FHIRPath location; a revoked plan withdraws its referrals', async (t) => {
  const hub = await startHub(t, false)
  await seedDestination(hub, 'http://127.0.0.1:9/fhir')
  const plan = await hub.post(carePlan([referralActivity()]))
  const changed = await put(hub, carePlan([referralActivity({ code: { coding: [{ system: SCT, code: '306171006' }] } })], { id: plan.id }))
  t.equal(changed.status, 422)
  t.match(await changed.json(), { issue: [{ code: 'processing', expression: ['CarePlan.activity[0].detail.code'] }] })
  t.equal((await madeFor(hub, plan.id)).length, 1, 'no second ServiceRequest')

  t.equal((await put(hub, carePlan([referralActivity()], { id: plan.id, status: 'revoked' }))).status, 200)
  const [sr] = await madeFor(hub, plan.id)
  t.equal(sr.status, 'revoked')
  t.equal((await outboxRows(hub)).length, 0)
})

t.test('a CarePlan in a transaction Bundle (http.html#transaction): its activity is referred and delivered once', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t)
  await seedDestination(hub, receiver.url)
  const patientUrl = 'urn:uuid:6f1c1a2e-4d1b-4a8e-9a57-5a1e3c2b7d10'
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: patientUrl, resource: { resourceType: 'Patient', name: [{ family: 'Bundle' }], birthDate: '1948-02-02' }, request: { method: 'POST', url: 'Patient' } },
      { resource: { ...carePlan([referralActivity()]), subject: { reference: patientUrl } }, request: { method: 'POST', url: 'CarePlan' } },
    ],
  }
  const res = await hub.fetch('', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(bundle) })
  t.equal(res.status, 200)
  const body: any = await res.json()
  const patientId = /Patient\/([^/]+)/.exec(body.entry[0].response.location)![1]
  const planId = /CarePlan\/([^/]+)/.exec(body.entry[1].response.location)![1]
  const [sr, ...others] = await madeFor(hub, planId)
  t.equal(others.length, 0)
  t.equal(sr.subject.reference, `Patient/${patientId}`, 'the Bundle’s reference, resolved')
  await until(async () => (await outboxRows(hub))[0]?.status === 'delivered', 10_000, 'delivery')
  const sentPatient = receiver.requests[0].entry!.find((e) => e.resource?.resourceType === 'Patient')!.resource as Resource & { name: unknown }
  t.match(sentPatient.name, [{ family: 'Bundle' }])

  // a Bundle whose CarePlan update is refused writes none of its entries
  const refused = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: { resourceType: 'Patient', id: 'extra', name: [{ family: 'Extra' }] }, request: { method: 'PUT', url: 'Patient/extra' } },
      { resource: { ...carePlan([referralActivity({ code: { coding: [{ system: SCT, code: '306171006' }] } })]), id: planId, subject: { reference: `Patient/${patientId}` } }, request: { method: 'PUT', url: `CarePlan/${planId}` } },
    ],
  }
  const out = await hub.fetch('', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(refused) })
  t.equal(out.status, 422)
  t.equal((await hub.fetch('Patient/extra')).status, 404, 'nothing written')
  t.equal(receiver.requests.length, 1)
})
