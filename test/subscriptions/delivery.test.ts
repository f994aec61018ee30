// Notifications are durable and retried through the outbox, in order per resource, and the
// Subscription's status tells when they cannot be delivered (R4 subscription.html: "error").
import t from 'tap'
import { until } from '../routing/helpers.js'
import { freePort, notificationRows, startHookReceiver, startSubscriptionHub, subscription } from './helpers.js'

const task = (extra: Record<string, unknown> = {}) =>
  ({ resourceType: 'Task', status: 'requested', intent: 'order', requester: { reference: 'Organization/gp-1' }, ...extra }) as any

t.test('receiver down, then up: delivered after retries', async (t) => {
  const port = await freePort(t)
  const hub = await startSubscriptionHub(t)
  const sub = await hub.post(subscription(`http://127.0.0.1:${port}/hooks`, 'Task?requester=Organization/gp-1', { payload: 'application/fhir+json' }))
  const created = await hub.post(task())
  await until(async () => (await notificationRows(hub))[0]?.attempts >= 2, 10_000, 'two failed attempts')
  const [row] = await notificationRows(hub)
  t.equal(row.status, 'pending')
  t.match(row.last_error, /ECONNREFUSED|fetch failed/)
  const receiver = await startHookReceiver(t, undefined, port)
  await until(async () => (await notificationRows(hub))[0]?.status === 'delivered', 10_000, 'delivery')
  t.equal(receiver.requests.length, 1)
  t.equal(JSON.parse(receiver.requests[0].body).id, created.id)
  t.equal((await hub.json(`Subscription/${sub.id}`)).status, 'active', 'retries within the attempts leave it active')
})

t.test('several updates of one resource arrive in order, with the receiver failing now and then', async (t) => {
  // Every third request fails (503, then a timeout-free retry): retries must not let a later
  // version overtake an earlier one, even with two workers claiming at once.
  const receiver = await startHookReceiver(t, (n) => (n % 3 === 0 ? 503 : undefined))
  const hub = await startSubscriptionHub(t, { CASEHUB_WORKERS: '2' })
  await hub.post(subscription(receiver.url, 'Task?requester=Organization/gp-1', { payload: 'application/fhir+json' }))
  const a = await hub.post(task({ description: 'a' }))
  const b = await hub.post(task({ description: 'b' }))
  const statuses = ['received', 'accepted', 'in-progress', 'on-hold', 'in-progress', 'completed']
  for (const status of statuses) {
    await hub.put({ ...a, status })
    await hub.put({ ...b, status })
  }
  const expected = statuses.length + 1
  await until(() => receiver.accepted.length === 2 * expected, 20_000, 'every version delivered')
  for (const r of [a, b]) {
    const all = receiver.requests.filter((q) => q.url.endsWith(`/Task/${r.id}`)).map((q) => Number(JSON.parse(q.body).meta.versionId))
    const ok = receiver.accepted.filter((q) => q.url.endsWith(`/Task/${r.id}`)).map((q) => Number(JSON.parse(q.body).meta.versionId))
    t.same(ok, Array.from({ length: expected }, (_, i) => i + 1), `Task ${r.description}: each version once, in order`)
    t.ok(all.every((v, i) => i === 0 || v >= all[i - 1]), `Task ${r.description}: no version was sent before an earlier one was delivered`)
  }
  t.ok(receiver.requests.length > receiver.accepted.length, 'some attempts failed and were retried')
})

t.test('attempts used up: the Subscription goes to error; a later delivery makes it active again', async (t) => {
  let down = true
  const receiver = await startHookReceiver(t, () => (down ? 500 : undefined))
  const hub = await startSubscriptionHub(t, {}, { baseDelayMs: 10, maxDelayMs: 40, pollMs: 50, timeoutMs: 2000 })
  const sub = await hub.post(subscription(receiver.url, 'Task?requester=Organization/gp-1'))
  const first = await hub.post(task())
  await until(async () => (await notificationRows(hub))[0]?.status === 'dead', 20_000, 'dead letter')
  const errored = await hub.json(`Subscription/${sub.id}`)
  t.equal(errored.status, 'error')
  t.match(errored.error, new RegExp(`Task/${first.id} not delivered: gave up after 8 attempts; last: HTTP 500`))
  t.equal(receiver.requests.length, 8)

  // Still notifying while in error; the next success brings it back.
  down = false
  await hub.post(task())
  await until(async () => (await hub.json(`Subscription/${sub.id}`)).status === 'active', 10_000, 'active again')
  const back = await hub.json(`Subscription/${sub.id}`)
  t.notOk(back.error, 'error cleared')
  t.equal((await notificationRows(hub)).filter((r) => r.status === 'delivered').length, 1)
})

t.test('a 4xx that will not change dead-letters at once', async (t) => {
  const receiver = await startHookReceiver(t, () => 404)
  const hub = await startSubscriptionHub(t)
  const sub = await hub.post(subscription(receiver.url, 'Task'))
  await hub.post(task())
  await until(async () => (await hub.json(`Subscription/${sub.id}`)).status === 'error', 10_000, 'error')
  t.equal(receiver.requests.length, 1)
  t.match((await hub.json(`Subscription/${sub.id}`)).error, /HTTP 404/)
})

t.test('a notification for a Subscription deleted meanwhile is dropped, not sent', async (t) => {
  const port = await freePort(t)
  const hub = await startSubscriptionHub(t)
  const sub = await hub.post(subscription(`http://127.0.0.1:${port}/hooks`, 'Task'))
  await hub.post(task())
  await until(async () => (await notificationRows(hub))[0]?.attempts >= 1, 10_000, 'a failed attempt')
  t.equal((await hub.fetch(`Subscription/${sub.id}`, { method: 'DELETE' })).status, 200)
  const receiver = await startHookReceiver(t, undefined, port)
  await until(async () => (await notificationRows(hub))[0]?.status === 'dead', 10_000, 'dropped')
  t.match((await notificationRows(hub))[0].last_error, /no longer held here/)
  t.equal(receiver.requests.length, 0)
})
