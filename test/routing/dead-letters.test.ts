// Dead letters raised with the case management team and retried by an operation (issue 6),
// against real receivers on 127.0.0.1.
import t from 'tap'
import { onwardReferral, outboxRows, seedDestination, startHub, startReceiver, trackingTask, until, type Hub } from './helpers.js'

const FAILED = `https://casehub.org/fhir/CodeSystem/task-code|onward-delivery-failed`
const refuse = { status: 422, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'business-rule', diagnostics: 'Patient is outside our area' }] } }

async function raises(hub: Hub, trackingId: string) {
  const bundle = await hub.json(`Task?code=${encodeURIComponent(FAILED)}&focus=Task/${trackingId}`)
  return (bundle.entry ?? []).map((e: any) => e.resource)
}

const post = (hub: Hub, path: string, body?: unknown) =>
  hub.fetch(path, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body ?? { resourceType: 'Parameters' }) })

t.test('a dead letter raises a Task for the team; $retry-delivery sends it again and closes it', async (t) => {
  let accept = false
  const receiver = await startReceiver(t, () => (accept ? undefined : refuse))
  const hub = await startHub(t)
  await hub.put({ resourceType: 'Organization', id: 'cmt-trafford', name: 'Trafford Case Management Team' } as any)
  await seedDestination(hub, receiver.url)
  const sr = await hub.post(onwardReferral())
  const tracking = await until(async () => {
    const x = await trackingTask(hub, sr.id)
    return x?.status === 'failed' && x
  }, 10_000, 'tracking Task failed')

  const [raise, ...others] = await raises(hub, tracking.id)
  t.equal(others.length, 0, 'one Task raises it')
  t.match(raise, {
    status: 'requested',
    intent: 'order',
    priority: 'urgent',
    code: { coding: [{ system: 'https://casehub.org/fhir/CodeSystem/task-code', code: 'onward-delivery-failed' }] },
    focus: { reference: `Task/${tracking.id}` },
    for: { reference: 'Patient/pat-1' },
    owner: { reference: 'Organization/cmt-trafford' },
    reasonReference: { reference: `ServiceRequest/${sr.id}` },
  })
  t.match(raise.description, /could not be delivered: .*outside our area.*\$retry-delivery/)
  t.equal(receiver.requests.length, 1)

  // the receiver fixes its side; the team retries
  accept = true
  const res = await post(hub, `Task/${tracking.id}/$retry-delivery`)
  t.equal(res.status, 200)
  const out: any = await res.json()
  t.match(out.parameter, [
    { name: 'retried', valueInteger: 1 },
    { name: 'trackingTask', valueReference: { reference: `Task/${tracking.id}` } },
    { name: 'completed', valueReference: { reference: `Task/${raise.id}` } },
  ])
  await until(async () => (await outboxRows(hub))[0].status === 'delivered', 10_000, 'delivered after retry')
  const [row] = await outboxRows(hub)
  t.equal(row.attempts, 1, 'attempts were reset')
  t.equal(row.last_error, null)
  const after = await until(async () => {
    const x = await trackingTask(hub, sr.id)
    return x.status === 'received' && x
  }, 5000, 'tracking Task received')
  t.notOk(after.statusReason, 'the failure reason is gone from the current version')
  t.notOk(after.contained, 'the dead letter outcome is gone from the current version')
  const history = await hub.json(`Task/${tracking.id}/_history`)
  t.ok(history.entry.some((e: any) => e.resource?.status === 'failed'), 'the failure stays in the history')
  t.ok(history.entry.some((e: any) => e.resource?.status === 'requested' && e.resource?.businessStatus?.text === 'Delivery retried'))
  t.match((await hub.json(`Task/${raise.id}`)).status, 'completed')
  t.equal(receiver.created.size, 1, 'one referral at the receiver')

  // nothing to retry now
  const again = await post(hub, `Task/${tracking.id}/$retry-delivery`)
  t.equal(again.status, 409)
  t.match(await again.json(), { resourceType: 'OperationOutcome', issue: [{ code: 'conflict', diagnostics: /not dead-lettered/ }] })
  const notTracking = await post(hub, `Task/${raise.id}/$retry-delivery`)
  t.equal(notTracking.status, 422)
  t.equal((await post(hub, 'Task/nope/$retry-delivery')).status, 404)
})

t.test('$outbox-retry retries every dead letter of one Endpoint', async (t) => {
  let accept = false
  const one = await startReceiver(t, () => (accept ? undefined : refuse))
  const two = await startReceiver(t, () => refuse)
  const hub = await startHub(t)
  await seedDestination(hub, one.url, '1')
  await seedDestination(hub, two.url, '2')
  await hub.post(onwardReferral('1'))
  await hub.post(onwardReferral('1'))
  await hub.post(onwardReferral('2'))
  await until(async () => (await outboxRows(hub)).filter((r) => r.status === 'dead').length === 3, 10_000, 'three dead letters')
  const allRaised = await hub.json(`Task?code=${encodeURIComponent(FAILED)}&status=requested`)
  t.equal(allRaised.entry.length, 3, 'each raised (owner by display: the team is not held here)')
  t.match(allRaised.entry[0].resource.owner, { display: 'Trafford Case Management Team' })

  const missing = await post(hub, '$outbox-retry')
  t.equal(missing.status, 400)
  t.match(await missing.json(), { issue: [{ expression: ['endpoint'] }] })
  const wrong = await post(hub, '$outbox-retry?endpoint=Patient/pat-1')
  t.equal(wrong.status, 400)
  t.equal((await hub.fetch('$outbox-retry?endpoint=Endpoint/ep-1')).status >= 400, true, 'not by GET: it changes data')

  accept = true
  const res = await post(hub, '$outbox-retry', { resourceType: 'Parameters', parameter: [{ name: 'endpoint', valueReference: { reference: 'Endpoint/ep-1' } }] })
  t.equal(res.status, 200)
  const out: any = await res.json()
  t.match(out.parameter[0], { name: 'retried', valueInteger: 2 })
  t.equal(out.parameter.filter((p: any) => p.name === 'completed').length, 2)
  await until(async () => (await outboxRows(hub)).filter((r) => r.status === 'delivered').length === 2, 10_000, 'both delivered')
  const rows = await outboxRows(hub)
  t.same(rows.filter((r) => r.status === 'dead').map((r) => r.endpoint_id), ['ep-2'], 'the other Endpoint is untouched')
  t.equal(one.created.size, 2)
  const open = await hub.json(`Task?code=${encodeURIComponent(FAILED)}&status=requested`)
  t.equal(open.entry.length, 1, 'only the other Endpoint’s dead letter is still raised')
  const status = await hub.json('$outbox-status')
  t.match(status.parameter.find((p: any) => p.name === 'deadLetters'), { part: [{ valueReference: { reference: 'Endpoint/ep-2' } }, { valueInteger: 1 }] })
})

t.test('after CASEHUB_OUTBOX_MAX_ATTEMPTS failed attempts the delivery is dead and raised', async (t) => {
  const receiver = await startReceiver(t, () => ({ status: 503 }))
  const hub = await startHub(t, undefined, { CASEHUB_OUTBOX_MAX_ATTEMPTS: '2' })
  await seedDestination(hub, receiver.url)
  const sr = await hub.post(onwardReferral())
  t.equal((await outboxRows(hub))[0].max_attempts, 2)
  const tracking = await until(async () => {
    const x = await trackingTask(hub, sr.id)
    return x?.status === 'failed' && x
  }, 10_000, 'tracking Task failed')
  const [row] = await outboxRows(hub)
  t.match(row, { status: 'dead', attempts: 2, last_error: /gave up after 2 attempts; last: HTTP 503/ })
  t.equal(receiver.requests.length, 2)
  const [raise] = await raises(hub, tracking.id)
  t.match(raise, { status: 'requested', description: /gave up after 2 attempts/ })
})
