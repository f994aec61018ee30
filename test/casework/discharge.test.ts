// Transition out (issue 6): finishing an EpisodeOfCare creates a discharge Communication in the
// same transaction and routes it through the outbox to the GP practice's Endpoint; a real
// receiver on 127.0.0.1 stands in for the GP system.
import t from 'tap'
import type { Bundle } from '@medplum/fhirtypes'
import { outboxRows, startReceiver, until, type Hub } from '../routing/helpers.js'
import { startSubscriptionHub } from '../subscriptions/helpers.js'

const NHS = 'https://fhir.nhs.uk/Id/nhs-number'

async function seed(hub: Hub, gpAddress: string | undefined, patientExtra: Record<string, unknown> = {}) {
  if (gpAddress) {
    await hub.put({ resourceType: 'Endpoint', id: 'ep-gp', status: 'active', connectionType: { code: 'hl7-fhir-rest' }, payloadType: [{ text: 'any' }], address: gpAddress } as any)
  }
  await hub.put({
    resourceType: 'Organization',
    id: 'gp-P91003',
    identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'P91003' }],
    name: 'Sale Medical Practice',
    ...(gpAddress ? { endpoint: [{ reference: 'Endpoint/ep-gp' }] } : {}),
  } as any)
  await hub.put({ resourceType: 'Organization', id: 'cmt-trafford', name: 'Trafford Case Management' } as any)
  await hub.put({
    resourceType: 'Patient',
    id: 'p1',
    identifier: [{ system: NHS, value: '9990000026' }],
    name: [{ family: 'Hargreaves', given: ['Edith'] }],
    birthDate: '1941-05-02',
    gender: 'female',
    generalPractitioner: [{ reference: 'Organization/gp-P91003' }],
    ...patientExtra,
  } as any)
  await hub.put({ resourceType: 'Goal', id: 'g1', lifecycleStatus: 'completed', achievementStatus: { text: 'Achieved' }, description: { text: 'Walk to the shops twice a week' }, subject: { reference: 'Patient/p1' }, target: [{ dueDate: '2025-04-15' }] } as any)
  await hub.put({ resourceType: 'Goal', id: 'g2', lifecycleStatus: 'active', achievementStatus: { text: 'In progress' }, description: { text: 'No unplanned admissions' }, subject: { reference: 'Patient/p1' } } as any)
  await hub.put({
    resourceType: 'CarePlan',
    id: 'cp1',
    status: 'active',
    intent: 'plan',
    title: 'Case management plan: heart failure',
    subject: { reference: 'Patient/p1' },
    period: { start: '2025-01-20', end: '2025-04-20' },
    author: { reference: 'Organization/cmt-trafford' },
    goal: [{ reference: 'Goal/g1' }, { reference: 'Goal/g2' }],
    activity: [{ detail: { status: 'completed', description: 'Weekly district nurse visit: weight and medication check' } }],
  } as any)
  // Another team's plan for the same patient is not part of this episode.
  await hub.put({ resourceType: 'CarePlan', id: 'cp-other', status: 'active', intent: 'plan', title: 'Diabetes plan (practice)', subject: { reference: 'Patient/p1' }, author: { reference: 'Organization/gp-P91003' } } as any)
  const episode = {
    resourceType: 'EpisodeOfCare',
    id: 'eoc1',
    status: 'active',
    patient: { reference: 'Patient/p1' },
    managingOrganization: { reference: 'Organization/cmt-trafford' },
    period: { start: '2025-01-20' },
  }
  await hub.put(episode as any)
  return episode
}

const finish = (episode: Record<string, unknown>) => ({ ...episode, status: 'finished', period: { start: '2025-01-20', end: '2025-04-22' } })
const communications = async (hub: Hub) => ((await hub.json('Communication?subject=Patient/p1')).entry ?? []).map((e: any) => e.resource)

t.test('finishing the episode sends the GP practice a discharge Communication', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startSubscriptionHub(t)
  const episode = await seed(hub, receiver.url)
  t.equal((await communications(hub)).length, 0)
  await hub.put(finish(episode) as any)

  const [created] = await communications(hub)
  t.match(created, {
    status: /in-progress|completed/,
    subject: { reference: 'Patient/p1' },
    about: [{ reference: 'EpisodeOfCare/eoc1' }, { reference: 'CarePlan/cp1' }],
    recipient: [{ reference: 'Organization/gp-P91003', display: 'Sale Medical Practice' }],
    sender: { reference: 'Organization/cmt-trafford' },
    category: [{ coding: [{ system: 'http://snomed.info/sct', code: '373942005' }] }],
  })
  t.equal(created.about.length, 2, "the practice's own plan is not about this episode")
  const text: string = created.payload[0].contentString
  t.match(text, /Trafford Case Management/)
  t.match(text, /from 2025-01-20 to 2025-04-22/)
  t.match(text, /Case management plan: heart failure/)
  t.match(text, /Weekly district nurse visit/)
  t.match(text, /Walk to the shops twice a week: Achieved \(target 2025-04-15\)/)
  t.match(text, /No unplanned admissions: In progress/)
  t.notMatch(text, /Diabetes plan/)

  const rows = await outboxRows(hub)
  t.match(rows, [{ kind: 'discharge-communication', endpoint_id: 'ep-gp', payload_type: 'Communication', payload_id: created.id }])
  await until(async () => (await outboxRows(hub))[0].status === 'delivered', 10_000, 'delivery')
  const done = await hub.json(`Communication/${created.id}`)
  t.equal(done.status, 'completed')
  t.ok(done.sent, 'sent is recorded')

  t.equal(receiver.requests.length, 1)
  const bundle = receiver.requests[0] as Bundle
  t.equal(bundle.type, 'transaction')
  const [patientEntry, commEntry] = bundle.entry!
  t.match(patientEntry.request, { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${encodeURIComponent(NHS)}|9990000026` })
  t.match(commEntry.request, { method: 'POST', url: 'Communication', ifNoneExist: `identifier=${encodeURIComponent('https://casehub.org/fhir/Id/discharge-communication')}|${created.identifier[0].value}` })
  const sent = commEntry.resource as any
  t.equal(sent.subject.reference, patientEntry.fullUrl, 'subject points at the Patient entry')
  t.equal(sent.recipient[0].reference, `${hub.url}/Organization/gp-P91003`, 'other references are absolute on CaseHub')
  t.notOk(sent.id)

  // What CaseHub stored is a valid R4 Communication.
  const check = await hub.fetch('Communication/$validate', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(done) })
  const outcome: any = await check.json()
  t.same(outcome.issue.filter((i: any) => i.severity === 'error'), [], 'validates')

  // Updating the finished episode again sends nothing more.
  await hub.put({ ...finish(episode), type: [{ text: 'Case management' }] } as any)
  t.equal((await communications(hub)).length, 1)
  t.equal((await outboxRows(hub)).length, 1)
})

t.test('no Endpoint at the practice: the Communication stays in-progress with a note, nothing is sent', async (t) => {
  const hub = await startSubscriptionHub(t)
  const episode = await seed(hub, undefined)
  await hub.put(finish(episode) as any)
  const [c] = await communications(hub)
  t.equal(c.status, 'in-progress')
  t.match(c.note, [{ text: /Not sent: the GP practice Sale Medical Practice has no active Endpoint/ }])
  t.equal((await outboxRows(hub)).length, 0)
})

t.test('no registered practice: the referrer (a PractitionerRole at a practice) is told', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startSubscriptionHub(t)
  const episode = await seed(hub, receiver.url, { generalPractitioner: undefined })
  await hub.put({ resourceType: 'PractitionerRole', id: 'gp-role', organization: { reference: 'Organization/gp-P91003' } } as any)
  await hub.put({ resourceType: 'ServiceRequest', id: 'sr1', status: 'completed', intent: 'order', subject: { reference: 'Patient/p1' }, requester: { reference: 'PractitionerRole/gp-role' } } as any)
  await hub.put(finish({ ...episode, referralRequest: [{ reference: 'ServiceRequest/sr1' }] }) as any)
  const [c] = await communications(hub)
  t.match(c.recipient, [{ reference: 'Organization/gp-P91003' }])
  await until(() => receiver.requests.length === 1, 10_000, 'delivery')
})

t.test('the Communication and its delivery commit with the episode or not at all', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startSubscriptionHub(t)
  const episode = await seed(hub, receiver.url)
  const res = await hub.fetch('', {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: finish(episode), request: { method: 'PUT', url: 'EpisodeOfCare/eoc1' } },
        { resource: { resourceType: 'Patient', id: 'p1', name: [{ family: 'Changed' }] }, request: { method: 'PUT', url: 'Patient/p1', ifMatch: 'W/"9"' } },
      ],
    }),
  })
  t.equal(res.status, 412)
  t.equal((await hub.json('EpisodeOfCare/eoc1')).status, 'active')
  t.equal((await communications(hub)).length, 0)
  t.equal((await outboxRows(hub)).length, 0)
})

t.test('a delivery the GP system refuses is dead-lettered and the Communication is not-done', async (t) => {
  const refusal = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', diagnostics: 'Unknown patient' }] }
  const receiver = await startReceiver(t, () => ({ status: 422, body: refusal }))
  const hub = await startSubscriptionHub(t)
  const episode = await seed(hub, receiver.url)
  await hub.put(finish(episode) as any)
  await until(async () => (await outboxRows(hub))[0]?.status === 'dead', 10_000, 'dead letter')
  const [c] = await communications(hub)
  t.equal(c.status, 'not-done')
  t.match(c.statusReason.text, /HTTP 422.*Unknown patient/)
})
