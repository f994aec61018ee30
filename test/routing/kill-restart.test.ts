// Nothing lost, nothing stored twice (issue 6 Tests: "the CaseHub process killed in the middle of
// deliveries and restarted (every referral delivered exactly once, counted at the receiver)").
// CaseHub runs as a real `casehub start` child process; it is SIGKILLed while deliveries are in
// flight and started again on the same database. The receiver honours conditional creates, as a
// FHIR server does, so a delivery repeated after the kill is recognised, not stored again.
import t from 'tap'
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:http'
import type { Bundle } from '@medplum/fhirtypes'
import { startCasehubProcess } from '../helpers/cli.js'
import { createTestDatabase } from '../helpers/test-server.js'
import { until, listenOnLoopback } from './helpers.js'

const N = 100

interface Teardown {
  teardown(fn: () => unknown): void
}

/** A receiver that stores each referral when the POST arrives and answers 250 ms later, so
 *  that deliveries are in flight (stored here, not yet recorded by CaseHub) at the kill. */
async function countingReceiver(t: Teardown) {
  const stored = new Map<string, number>()
  const state = { posts: 0, stored, url: '' }
  let next = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      state.posts++
      const bundle = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Bundle
      const entry = bundle.entry!.map((e) => {
        const key = e.request?.ifNoneExist ?? ''
        if (e.resource?.resourceType !== 'ServiceRequest') return { response: { status: '201 Created', location: `${e.request?.url}/${++next}/_history/1` } }
        const seen = stored.has(key)
        if (!seen) stored.set(key, 1)
        return { response: { status: seen ? '200 OK' : '201 Created', location: `ServiceRequest/${key.split('|')[1]}/_history/1` } }
      })
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/fhir+json' })
        res.end(JSON.stringify({ resourceType: 'Bundle', type: 'transaction-response', entry }))
      }, 250)
    })
  })
  state.url = await listenOnLoopback(t, server)
  return state
}

async function startCasehub(t: Teardown, databaseUrl: string): Promise<{ child: ChildProcess; url: string }> {
  return startCasehubProcess(t, {
    DATABASE_URL: databaseUrl,
    CASEHUB_WORKERS: '2',
    CASEHUB_OUTBOX_POLL_MS: '100',
    CASEHUB_DELIVERY_TIMEOUT_MS: '2000',
    // a claim of the killed process is taken over after this
    CASEHUB_OUTBOX_LOCK_TIMEOUT_MS: '3000',
  })
}

const send = async (url: string, method: string, path: string, body: unknown) => {
  const res = await fetch(`${url}/${path}`, { method, headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) })
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
  return res.json() as Promise<any>
}

// Two server starts on a shared 2-core machine can take a minute each.
t.test('SIGKILL in the middle of deliveries, restart: every referral stored once at the receiver', { timeout: 600_000 }, async (t) => {
  const started = Date.now()
  const mark = (what: string) => t.comment(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`)
  const receiver = await countingReceiver(t)
  const databaseUrl = await createTestDatabase(t)
  const first = await startCasehub(t, databaseUrl)
  mark('first server up')
  await send(first.url, 'PUT', 'Endpoint/ep-k', {
    resourceType: 'Endpoint', id: 'ep-k', status: 'active', address: receiver.url,
    connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'hl7-fhir-rest' },
    payloadType: [{ text: 'FHIR transaction' }],
  })
  await send(first.url, 'PUT', 'HealthcareService/hs-k', { resourceType: 'HealthcareService', id: 'hs-k', active: true, name: 'Receiving service', endpoint: [{ reference: 'Endpoint/ep-k' }] })
  await send(first.url, 'PUT', 'Patient/pk', { resourceType: 'Patient', id: 'pk', name: [{ family: 'Killed' }] })

  // 100 onward referrals, 10 transactions of 10
  for (let b = 0; b < N / 10; b++) {
    await send(first.url, 'POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: Array.from({ length: 10 }, () => ({
        resource: { resourceType: 'ServiceRequest', status: 'active', intent: 'order', code: { text: 'Onward' }, subject: { reference: 'Patient/pk' }, performer: [{ reference: 'HealthcareService/hs-k' }] },
        request: { method: 'POST', url: 'ServiceRequest' },
      })),
    })
  }
  mark('referrals created')
  await until(() => receiver.posts >= 40, 60_000, 'deliveries under way')
  first.child.kill('SIGKILL')
  await new Promise<void>((r) => first.child.once('exit', () => r()))
  const atKill = { posts: receiver.posts, stored: receiver.stored.size }
  t.ok(atKill.stored < N, `killed part-way: ${atKill.stored} of ${N} stored at the receiver`)

  mark(`killed at ${atKill.stored} stored`)
  const second = await startCasehub(t, databaseUrl)
  mark('second server up')
  await until(() => receiver.stored.size >= N, 90_000, 'every referral at the receiver')
  mark('all stored')
  // and the outbox agrees: everything delivered, nothing dead
  const status = await until(async () => {
    const s = await (await fetch(`${second.url}/$outbox-status`)).json()
    const p = Object.fromEntries(s.parameter.map((x: any) => [x.name, x.valueInteger ?? x.valueDecimal]))
    return p.pending === 0 && p
  }, 30_000, 'outbox drained')
  t.match(status, { pending: 0, delivered: N, dead: 0 })
  await new Promise((r) => setTimeout(r, 500))
  t.equal(receiver.stored.size, N, 'every referral reached the receiver (distinct by identifier)')
  t.ok([...receiver.stored.values()].every((n) => n === 1), 'none stored twice')
  t.ok(receiver.posts > N, `${receiver.posts} POSTs for ${N} referrals (repeats after the kill were recognised by their identifier)`)
  t.comment(`at the kill: ${atKill.posts} POSTs, ${atKill.stored} stored; in all: ${receiver.posts} POSTs, ${receiver.stored.size} stored`)

  const tasks = await (await fetch(`${second.url}/Task?owner=HealthcareService/hs-k&_count=200&_summary=count&status=received`)).json()
  t.equal(tasks.total, N, 'every tracking Task received')
  second.child.kill('SIGTERM')
  t.equal(await new Promise((r) => second.child.once('exit', (code) => r(code))), 0, 'the restarted server stops cleanly')
})
