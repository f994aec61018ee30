// CarePlan activities given by reference (careplan.html#CarePlan.activity.reference) to a
// ServiceRequest, and a ServiceRequest made active after it was written as a draft: the plan
// becoming active places its draft onward referrals, each delivered once to a real receiver on
// 127.0.0.1; revoking the plan withdraws them.
import t from 'tap'
import type { Resource } from '@medplum/fhirtypes'
import { onwardReferral, outboxRows, seedDestination, startHub, startReceiver, trackingTask, until, type Hub } from './helpers.js'
import { subscription } from '../subscriptions/helpers.js'

const carePlan = (id: string, refs: string[], extra: Record<string, unknown> = {}): Resource & { id: string } =>
  ({
    resourceType: 'CarePlan',
    id,
    status: 'active',
    intent: 'plan',
    subject: { reference: 'Patient/pat-1' },
    activity: refs.map((r) => ({ reference: { reference: r } })),
    ...extra,
  }) as Resource & { id: string }

const draft = (id: string, extra: Record<string, unknown> = {}) => ({ ...onwardReferral('1', { status: 'draft', ...extra }), id }) as Resource & { id: string }
const put = (hub: Hub, r: Resource & { id: string }) =>
  hub.fetch(`${r.resourceType}/${r.id}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(r) })

t.test('a draft ServiceRequest the plan references is placed when the plan becomes active, and delivered once', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t)
  await seedDestination(hub, receiver.url)
  // written together, the plan still a draft: nothing is ordered yet
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [draft('sr-1'), draft('sr-lab', { performer: [{ reference: 'Organization/lab' }] }), carePlan('plan-1', ['ServiceRequest/sr-1', 'ServiceRequest/sr-lab'], { status: 'draft' })].map(
      (resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }),
    ),
  }
  t.equal((await hub.fetch('', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(bundle) })).status, 200)
  t.equal((await hub.json('ServiceRequest/sr-1')).status, 'draft', 'a draft plan places nothing')
  t.equal((await outboxRows(hub)).length, 0)

  t.equal((await put(hub, carePlan('plan-1', ['ServiceRequest/sr-1', 'ServiceRequest/sr-lab']))).status, 200)
  const placed = await hub.json('ServiceRequest/sr-1')
  t.match(placed, { status: 'active', basedOn: [{ reference: 'CarePlan/plan-1' }] }, 'active, and basedOn the plan')
  t.equal((await hub.json('ServiceRequest/sr-lab')).status, 'draft', 'a request to no HealthcareService is no onward referral: left as it is')
  await until(async () => (await trackingTask(hub, 'sr-1'))?.status === 'received', 10_000, 'delivery')

  // the plan written again, and the request itself put on hold and made active again
  t.equal((await put(hub, carePlan('plan-1', ['ServiceRequest/sr-1', 'ServiceRequest/sr-lab'], { title: 'Revised' }))).status, 200)
  const { meta: _m, ...current } = await hub.json('ServiceRequest/sr-1')
  t.equal((await put(hub, { ...current, status: 'on-hold' })).status, 200)
  t.equal((await put(hub, { ...current, status: 'active' })).status, 200)
  await new Promise((r) => setTimeout(r, 500))
  t.equal((await outboxRows(hub)).length, 1, 'one delivery')
  t.equal(receiver.requests.length, 1, 'the receiver got it once')
  t.match(receiver.requests[0].entry!.find((e) => e.resource?.resourceType === 'ServiceRequest')!.resource, { status: 'active', basedOn: [{ reference: 'CarePlan/plan-1' }] })
})

t.test('a ServiceRequest written as a draft is routed when it is made active (issue 6 trigger)', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t)
  await seedDestination(hub, receiver.url)
  // a GP system's Subscription to the practice's requests: its notifications are outbox rows
  // about the same ServiceRequest, and must not pass for its delivery
  await hub.post(subscription('http://127.0.0.1:9/notify', 'ServiceRequest?subject=Patient/pat-1'))
  await hub.put(draft('sr-2'))
  await until(async () => (await outboxRows(hub)).some((r) => r.kind === 'subscription-notification'), 10_000, 'a notification about the draft')
  t.notOk((await outboxRows(hub)).some((r) => r.kind === 'onward-referral'), 'a draft is not routed')
  const { meta: _m, ...body } = await hub.json('ServiceRequest/sr-2')
  t.equal((await put(hub, { ...body, status: 'active' })).status, 200)
  await until(async () => receiver.requests.length === 1, 10_000, 'delivery')
  t.match(await trackingTask(hub, 'sr-2'), { focus: { reference: 'ServiceRequest/sr-2' }, owner: { reference: 'HealthcareService/hs-1' } })
})

t.test('a plan that is not ordering, or another patient’s request, places nothing; revoking the plan withdraws what it placed', async (t) => {
  const hub = await startHub(t, false) // no worker: nothing is delivered
  await seedDestination(hub, 'http://127.0.0.1:9/fhir')
  await hub.put({ resourceType: 'Patient', id: 'pat-2', name: [{ family: 'Other' }] } as Resource & { id: string })
  await hub.put(draft('sr-3'))
  await hub.put(draft('sr-other', { subject: { reference: 'Patient/pat-2' } }))
  await hub.put(carePlan('proposal', ['ServiceRequest/sr-3'], { intent: 'proposal' }))
  t.equal((await hub.json('ServiceRequest/sr-3')).status, 'draft', 'a proposal places nothing')

  // a request made on its own (not basedOn the plan), which the plan merely references
  await hub.put({ ...onwardReferral('1', { code: { text: 'Own referral' } }), id: 'sr-own' } as Resource & { id: string })
  const refs = ['ServiceRequest/sr-3', 'ServiceRequest/sr-other', 'ServiceRequest/sr-own']
  await hub.put(carePlan('plan-3', refs))
  t.equal((await hub.json('ServiceRequest/sr-3')).status, 'active')
  t.equal((await hub.json('ServiceRequest/sr-other')).status, 'draft', "another patient's request is not this plan's to place")
  t.equal((await outboxRows(hub)).length, 2, 'deliveries queued: the placed request and the one made on its own')

  t.equal((await put(hub, carePlan('plan-3', refs, { status: 'revoked' }))).status, 200)
  t.equal((await hub.json('ServiceRequest/sr-3')).status, 'revoked', 'servicerequest.html: revoked with its plan')
  t.equal((await hub.json('ServiceRequest/sr-own')).status, 'active', 'a request not basedOn the plan is left be')
  t.equal((await hub.json('ServiceRequest/sr-other')).status, 'draft', "another patient's request is left be")
  t.same((await outboxRows(hub)).map((r) => r.payload_id), ['sr-own'], 'the placed delivery will not happen')
  t.match(await trackingTask(hub, 'sr-3'), { status: 'cancelled', businessStatus: { text: 'Withdrawn before delivery' } })
})
