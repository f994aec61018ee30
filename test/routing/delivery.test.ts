// Onward referral delivery end to end (issue 6): a ServiceRequest whose performer is a
// HealthcareService with an active Endpoint is delivered to a real receiver on 127.0.0.1.
import t from 'tap'
import { FAST, onwardReferral, outboxRows, seedDestination, startHub, startReceiver, trackingTask, until } from './helpers.js'

t.test('happy path: delivered once, tracking Task received', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t)
  await seedDestination(hub, receiver.url)
  const sr = await hub.post(onwardReferral())
  // The delivery may already have moved the Task on: its first version is the one the write made.
  const task = await hub.json(`Task/${(await trackingTask(hub, sr.id)).id}/_history/1`)
  t.match(task, { status: 'requested', intent: 'order', focus: { reference: `ServiceRequest/${sr.id}` }, owner: { reference: 'HealthcareService/hs-1' } })

  await until(async () => (await outboxRows(hub))[0]?.status === 'delivered', 10_000, 'delivery')
  t.equal(receiver.requests.length, 1, 'one POST at the receiver')
  t.equal(receiver.created.size, 1, 'one referral created at the receiver')
  const bundle = receiver.requests[0]
  t.equal(bundle.type, 'transaction')
  const [patient, referral, rtask] = bundle.entry!.map((e) => e.resource as any)
  t.same(Object.keys(patient).sort(), ['birthDate', 'gender', 'identifier', 'name', 'resourceType'], 'minimum necessary Patient')
  t.match(bundle.entry![1].request, { method: 'POST', url: 'ServiceRequest', ifNoneExist: `identifier=${encodeURIComponent('https://casehub.org/fhir/Id/onward-referral')}|${sr.id}` })
  t.equal(referral.subject.reference, bundle.entry![0].fullUrl, 'subject points at the Patient entry')
  t.equal(rtask.focus.reference, bundle.entry![1].fullUrl)
  t.match(rtask, { status: 'requested', owner: { display: 'Trafford Social Prescribing 1' } })

  const after = await until(async () => {
    const t2 = await trackingTask(hub, sr.id)
    return t2.status === 'received' && t2
  }, 5000, 'tracking Task received')
  t.equal(after.status, 'received')
  t.match(after.output, [{ valueString: /^Task\/\d+/ }])

  const status = await hub.json('$outbox-status')
  const p = Object.fromEntries(status.parameter.map((x: any) => [x.name, x.valueInteger ?? x.valueDecimal]))
  t.match(p, { pending: 0, delivered: 1, dead: 0 })
  const attempt = hub.logs.find((l) => l.msg === 'outbox delivery done')!
  t.match(attempt.fields, { endpoint: 'ep-1', attempt: 1, status: 200 })
  t.notMatch(JSON.stringify(hub.logs), /Onward|9990000018|pat-1/, 'no patient data in the logs')
})

t.test('a ServiceRequest without a routable performer is not enqueued', async (t) => {
  const hub = await startHub(t)
  await hub.put({ resourceType: 'Endpoint', id: 'off', status: 'off', connectionType: { code: 'hl7-fhir-rest' }, payloadType: [{ text: 'any' }], address: 'http://127.0.0.1:9/fhir' } as any)
  await hub.put({ resourceType: 'HealthcareService', id: 'hs-off', endpoint: [{ reference: 'Endpoint/off' }] } as any)
  await hub.post({ resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/x' }, performer: [{ reference: 'HealthcareService/hs-off' }] } as any)
  await hub.post({ resourceType: 'ServiceRequest', status: 'draft', intent: 'order', subject: { reference: 'Patient/x' }, performer: [{ reference: 'HealthcareService/hs-off' }] } as any)
  t.equal((await outboxRows(hub)).length, 0)
})

t.test('receiver down, then up: delivered after retry', async (t) => {
  const probe = await startReceiver(t)
  const port = probe.port
  await probe.close()
  const hub = await startHub(t)
  await seedDestination(hub, `http://127.0.0.1:${port}/fhir`)
  await hub.post(onwardReferral())
  await until(async () => (await outboxRows(hub))[0]?.attempts >= 2, 10_000, 'two failed attempts')
  t.equal((await outboxRows(hub))[0].status, 'pending')
  t.match((await outboxRows(hub))[0].last_error, /\w/)
  const receiver = await startReceiver(t, undefined, port)
  await until(async () => (await outboxRows(hub))[0]?.status === 'delivered', 10_000, 'delivery')
  t.equal(receiver.created.size, 1)
  t.equal(receiver.requests.length, 1)
})

t.test('a 500 (with Retry-After) and then success', async (t) => {
  const receiver = await startReceiver(t, (n) =>
    n === 1 ? { status: 500, headers: { 'retry-after': '1' }, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] } } : undefined,
  )
  const hub = await startHub(t)
  await seedDestination(hub, receiver.url)
  await hub.post(onwardReferral())
  const started = Date.now()
  await until(async () => (await outboxRows(hub))[0]?.status === 'delivered', 10_000, 'delivery')
  t.ok(Date.now() - started >= 900, 'waited for Retry-After')
  const row = (await outboxRows(hub))[0]
  t.equal(row.attempts, 2)
  t.equal(receiver.requests.length, 2)
  t.equal(receiver.created.size, 1)
})

t.test('422: dead-lettered at once, the outcome on the tracking Task', async (t) => {
  const receiver = await startReceiver(t, () => ({
    status: 422,
    body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'business-rule', diagnostics: 'Patient is outside our area' }] },
  }))
  const hub = await startHub(t)
  await seedDestination(hub, receiver.url)
  const sr = await hub.post(onwardReferral())
  await until(async () => (await outboxRows(hub))[0]?.status === 'dead', 10_000, 'dead letter')
  const row = (await outboxRows(hub))[0]
  t.equal(row.attempts, 1, 'no retry')
  t.match(row.last_error, /422.*outside our area/)
  const task = await until(async () => {
    const t2 = await trackingTask(hub, sr.id)
    return t2.status === 'failed' && t2
  }, 5000, 'tracking Task failed')
  t.match(task.statusReason.text, /outside our area/)
  t.match(task.contained, [{ resourceType: 'OperationOutcome', id: 'delivery-outcome', issue: [{ diagnostics: 'Patient is outside our area' }] }])
  t.match(task.output, [{ valueReference: { reference: '#delivery-outcome' } }])
  const status = await hub.json('$outbox-status')
  t.match(status.parameter.find((p: any) => p.name === 'deadLetters'), { part: [{ valueReference: { reference: 'Endpoint/ep-1' } }, { valueInteger: 1 }] })
})

t.test('after the configured attempts, dead', async (t) => {
  const receiver = await startReceiver(t, () => ({ status: 503 }))
  const hub = await startHub(t)
  await seedDestination(hub, receiver.url)
  // the default is 8; lower it on the row as it arrives
  const sr = await hub.post(onwardReferral())
  await hub.server.db.pool.query('UPDATE outbox SET max_attempts = 3')
  await until(async () => (await outboxRows(hub))[0]?.status === 'dead', 10_000, 'dead letter')
  const row = (await outboxRows(hub))[0]
  t.ok(row.attempts >= 3 && row.attempts <= 4, `gave up after ${row.attempts} attempts`)
  t.match(row.last_error, /gave up after/)
  const task = await until(async () => {
    const t2 = await trackingTask(hub, sr.id)
    return t2.status === 'failed' && t2
  }, 5000, 'tracking Task failed')
  t.ok(task)
  t.equal(FAST.baseDelayMs, 50)
})
