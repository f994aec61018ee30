// Subscription checks (422 with the element's FHIRPath, nothing stored) and criteria matching
// with the server's own search semantics: token, reference, date, chains, modifiers.
import t from 'tap'
import { notificationRows, startSubscriptionHub, subscription } from './helpers.js'

const ENDPOINT = 'http://127.0.0.1:9/hooks'

t.test('a Subscription the server cannot serve is refused with 422 naming the element', async (t) => {
  const hub = await startSubscriptionHub(t)
  const refused = async (body: unknown, expression: string, text: RegExp) => {
    const res = await hub.send('POST', 'Subscription', body)
    t.equal(res.status, 422, `${expression}: 422`)
    t.equal(res.body.resourceType, 'OperationOutcome')
    const found = res.body.issue.find((i: any) => i.expression?.includes(expression))
    t.ok(found, `names ${expression}`)
    t.match(found?.diagnostics, text)
  }
  await refused(subscription(ENDPOINT, 'Task?requester=Organization/X&nonsense=1'), 'Subscription.criteria', /nonsense/)
  await refused(subscription(ENDPOINT, 'Tusk?status=requested'), 'Subscription.criteria', /resource type/)
  await refused(subscription(ENDPOINT, '/Task?status=requested'), 'Subscription.criteria', /resource type/)
  await refused(subscription(ENDPOINT, 'Observation?date=notadate'), 'Subscription.criteria', /date/i)
  await refused(subscription(ENDPOINT, 'Task?status=requested&_sort=-_lastUpdated'), 'Subscription.criteria', /_sort/)
  await refused(subscription(ENDPOINT, 'Task', { type: 'websocket' }), 'Subscription.channel.type', /rest-hook only/)
  await refused(subscription('mailto:gp@example.nhs.uk', 'Task'), 'Subscription.channel.endpoint', /http/)
  await refused(subscription(ENDPOINT, 'Task', { payload: 'application/fhir+xml' }), 'Subscription.channel.payload', /fhir\+json/)
  await refused(subscription(ENDPOINT, 'Task', { header: ['no colon here'] }), 'Subscription.channel.header[0]', /Name: value/)

  // In a transaction the location is the entry's, and nothing at all is written.
  const res = await hub.send('POST', '', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: { resourceType: 'Patient', name: [{ family: 'Kept' }] }, request: { method: 'POST', url: 'Patient' } },
      { resource: subscription(ENDPOINT, 'Task?bogus=1'), request: { method: 'POST', url: 'Subscription' } },
    ],
  })
  t.equal(res.status, 422)
  t.match(res.body.issue[0].expression, ['Bundle.entry[1].resource.criteria'])
  t.equal((await hub.json('Subscription')).entry?.length ?? 0, 0, 'no Subscription stored')
  t.equal((await hub.json('Patient?family=Kept')).entry?.length ?? 0, 0, 'no partial write')
})

t.test('matching uses the server search: token, reference, date, modifiers and chains', async (t) => {
  const hub = await startSubscriptionHub(t)
  await hub.put({ resourceType: 'Patient', id: 'p1', name: [{ family: 'Ashworth' }] } as any)
  await hub.put({ resourceType: 'Patient', id: 'p2', name: [{ family: 'Brierley' }] } as any)
  const bp = await hub.post(subscription(ENDPOINT, 'Observation?code=http://loinc.org|8480-6&subject=Patient/p1&date=ge2025-01-01'))
  const chained = await hub.post(subscription(ENDPOINT, 'Observation?subject:Patient.name=brier'))
  const notFinal = await hub.post(subscription(ENDPOINT, 'Observation?status:not=final&code=8867-4'))
  const obs = (id: string, subject: string, code: string, date: string, status = 'final') =>
    hub.put({
      resourceType: 'Observation',
      id,
      status,
      code: { coding: [{ system: 'http://loinc.org', code }] },
      subject: { reference: subject },
      effectiveDateTime: date,
      valueQuantity: { value: 150, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
    } as any)
  await obs('match', 'Patient/p1', '8480-6', '2025-03-04T10:00:00Z')
  await obs('wrong-code', 'Patient/p1', '8462-4', '2025-03-04T10:00:00Z')
  await obs('wrong-patient', 'Patient/p3', '8480-6', '2025-03-04T10:00:00Z')
  await obs('too-early', 'Patient/p1', '8480-6', '2024-12-31T23:59:59Z')
  await obs('by-name', 'Patient/p2', '8462-4', '2025-03-04T10:00:00Z')
  await obs('hr-prelim', 'Patient/p3', '8867-4', '2025-03-04T10:00:00Z', 'preliminary')
  await obs('hr-final', 'Patient/p3', '8867-4', '2025-03-04T10:00:00Z', 'final')
  const rows = await notificationRows(hub)
  const got = rows.map((r) => `${r.subscription_id}:${r.payload_id}`).sort()
  t.same(got, [`${bp.id}:match`, `${chained.id}:by-name`, `${notFinal.id}:hr-prelim`].sort())

  // A later version that moves into the criteria is notified; the date moved into range.
  await obs('too-early', 'Patient/p1', '8480-6', '2025-01-01T00:00:00Z')
  const after = (await notificationRows(hub)).map((r) => `${r.payload_id}@${r.payload_version}`)
  t.ok(after.includes('too-early@2'), 'the version that now matches is enqueued')
})

t.test('a Subscription past its end notifies no more', async (t) => {
  const hub = await startSubscriptionHub(t)
  await hub.post(subscription(ENDPOINT, 'Task'))
  const ended = await hub.post({ ...subscription(ENDPOINT, 'Task'), end: '2020-01-01T00:00:00Z' })
  await hub.post({ resourceType: 'Task', status: 'requested', intent: 'order' } as any)
  const rows = await notificationRows(hub)
  t.equal(rows.length, 1)
  t.not(rows[0].subscription_id, ended.id)
})
