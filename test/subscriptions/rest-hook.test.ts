// R4 Subscriptions, rest-hook channel (subscription.html), end to end with real receivers on
// 127.0.0.1: what a notification looks like with and without a payload, what is not notified,
// and that a notification commits with its write or not at all.
import t from 'tap'
import { onwardReferral, seedDestination, startReceiver, until } from '../routing/helpers.js'
import { notificationRows, startHookReceiver, startSubscriptionHub, subscription } from './helpers.js'

const task = (requester: string, extra: Record<string, unknown> = {}) =>
  ({ resourceType: 'Task', status: 'requested', intent: 'order', requester: { reference: requester }, ...extra }) as any

t.test('a requested Subscription is accepted as active', async (t) => {
  const hub = await startSubscriptionHub(t)
  const created = await hub.send('POST', 'Subscription', subscription('http://127.0.0.1:9/hooks', 'Task?requester=Organization/gp-1'))
  t.equal(created.status, 201)
  t.equal(created.body.status, 'active', 'the server moves requested → active')
  const read = await hub.json(`Subscription/${created.body.id}`)
  t.equal(read.status, 'active')
  const off = await hub.send('POST', 'Subscription', { ...subscription('http://127.0.0.1:9/hooks', 'Task'), status: 'off' })
  t.equal(off.body.status, 'off', 'off stays off')
})

t.test('with payload: PUT [endpoint]/[type]/[id] with the version that triggered it, and the channel headers', async (t) => {
  const receiver = await startHookReceiver(t)
  const hub = await startSubscriptionHub(t)
  const sub = await hub.post(
    subscription(receiver.url, 'Task?requester=Organization/gp-1', {
      payload: 'application/fhir+json',
      header: ['Authorization: Bearer secret-token-abc-123', 'X-Practice: P91003'],
    }),
  )
  const created = await hub.post(task('Organization/gp-1'))
  await until(() => receiver.requests.length === 1, 10_000, 'notification')
  const [req] = receiver.requests
  t.equal(req.method, 'PUT')
  t.equal(req.url, `/hooks/Task/${created.id}`)
  t.equal(req.headers.authorization, 'Bearer secret-token-abc-123')
  t.equal(req.headers['x-practice'], 'P91003')
  t.match(req.headers['content-type'], /^application\/fhir\+json/)
  const body = JSON.parse(req.body)
  t.match(body, { resourceType: 'Task', id: created.id, meta: { versionId: '1' }, requester: { reference: 'Organization/gp-1' } })

  // An update is notified too, with its own version.
  await hub.put({ ...created, status: 'received' })
  await until(() => receiver.requests.length === 2, 10_000, 'second notification')
  t.match(JSON.parse(receiver.requests[1].body), { status: 'received', meta: { versionId: '2' } })
  t.notMatch(JSON.stringify(hub.logs), /secret-token/, 'channel headers are not logged')
  await until(async () => (await notificationRows(hub)).every((r) => r.status === 'delivered'), 5000, 'recorded')
  const rows = await notificationRows(hub)
  t.same(rows.map((r) => [r.subscription_id, r.payload_version, r.status]), [
    [sub.id, '1', 'delivered'],
    [sub.id, '2', 'delivered'],
  ])
})

t.test('without payload: an empty POST to the endpoint', async (t) => {
  const receiver = await startHookReceiver(t)
  const hub = await startSubscriptionHub(t)
  await hub.post(subscription(receiver.url, 'ServiceRequest?status=active', { header: ['X-Token: abc'] }))
  await hub.post({ resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' } } as any)
  await until(() => receiver.requests.length === 1, 10_000, 'notification')
  const [req] = receiver.requests
  t.equal(req.method, 'POST')
  t.equal(req.url, '/hooks')
  t.equal(req.body, '', 'no body')
  t.equal(req.headers['x-token'], 'abc')
})

t.test('writes that do not match, deletes, and Subscriptions that are off send nothing', async (t) => {
  const receiver = await startHookReceiver(t)
  const hub = await startSubscriptionHub(t)
  await hub.post(subscription(receiver.url, 'Task?requester=Organization/gp-1'))
  await hub.post({ ...subscription(receiver.url, 'Task'), status: 'off' })
  await hub.post(task('Organization/gp-2'))
  await hub.post({ resourceType: 'Patient', name: [{ family: 'Nobody' }] } as any)
  const matching = await hub.post(task('Organization/gp-1'))
  t.equal((await notificationRows(hub)).length, 1, 'only the matching Task was enqueued, at once (same transaction)')
  // Updated away from the criteria: the new version no longer matches.
  await hub.put({ ...matching, requester: { reference: 'Organization/gp-2' } })
  const del = await hub.fetch(`Task/${matching.id}`, { method: 'DELETE' })
  t.equal(del.status, 200)
  t.equal((await notificationRows(hub)).length, 1, 'no notification for a non-matching update or a delete')
  await until(() => receiver.requests.length === 1, 10_000, 'the one notification')
  await new Promise((r) => setTimeout(r, 300))
  t.equal(receiver.requests.length, 1)
})

t.test('a rolled-back transaction sends nothing', async (t) => {
  const receiver = await startHookReceiver(t)
  const hub = await startSubscriptionHub(t)
  await hub.post(subscription(receiver.url, 'Task?requester=Organization/gp-1'))
  const existing = await hub.post({ resourceType: 'Patient', name: [{ family: 'Stale' }] } as any)
  // The Task is written first (POST before PUT), then the stale If-Match fails the whole Bundle.
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: 'urn:uuid:6a4c7a8e-0a4b-4e0e-9b1c-2f1d3c4b5a61', resource: task('Organization/gp-1'), request: { method: 'POST', url: 'Task' } },
      { resource: { ...existing, name: [{ family: 'Changed' }] }, request: { method: 'PUT', url: `Patient/${existing.id}`, ifMatch: 'W/"7"' } },
    ],
  }
  const res = await hub.send('POST', '', bundle)
  t.equal(res.status, 412, 'the transaction failed')
  t.equal((await hub.json('Task')).total ?? (await hub.json('Task')).entry?.length ?? 0, 0, 'no Task was stored')
  t.equal((await notificationRows(hub)).length, 0, 'no notification was enqueued')
  const ok = await hub.send('POST', '', { ...bundle, entry: [bundle.entry[0]] })
  t.equal(ok.status, 200)
  await until(() => receiver.requests.length === 1, 10_000, 'the committed one is sent')
})

t.test('a Subscription written in a transaction Bundle notifies from then on', async (t) => {
  const receiver = await startHookReceiver(t)
  const hub = await startSubscriptionHub(t)
  const res = await hub.send('POST', '', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [{ resource: subscription(receiver.url, 'Task?status=requested'), request: { method: 'POST', url: 'Subscription' } }],
  })
  t.equal(res.status, 200)
  const subId = /Subscription\/([^/]+)/.exec(res.body.entry[0].response.location)![1]
  t.equal((await hub.json(`Subscription/${subId}`)).status, 'active')
  await hub.post(task('Organization/any'))
  await until(() => receiver.requests.length === 1, 10_000, 'notification')
  // Turned off: nothing more.
  const sub = await hub.json(`Subscription/${subId}`)
  await hub.put({ ...sub, status: 'off' })
  await hub.post(task('Organization/any'))
  t.equal((await notificationRows(hub)).length, 1)
})

t.test("the GP follows its onward referral's tracking Task, including the worker's own updates", async (t) => {
  const service = await startReceiver(t)
  const gp = await startHookReceiver(t)
  const hub = await startSubscriptionHub(t)
  await seedDestination(hub, service.url)
  await hub.post(subscription(gp.url, 'Task?requester=Organization/gp-1', { payload: 'application/fhir+json' }))
  await hub.post(onwardReferral('1', { requester: { reference: 'Organization/gp-1' } }))
  await until(() => gp.requests.length === 2, 10_000, 'requested, then received')
  t.same(gp.requests.map((r) => JSON.parse(r.body).status), ['requested', 'received'])
})
