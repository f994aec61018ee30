// Two workers racing over one queue (issue 6): every message is delivered exactly once —
// one POST per referral at the receiver, not merely deduplicated there.
import t from 'tap'
import { OutboxWorker } from '../../src/routing/worker.js'
import { FAST, onwardReferral, outboxRows, seedDestination, startHub, startReceiver, until } from './helpers.js'

const N = 60

t.test('two workers, each message once', async (t) => {
  let inFlight = 0
  let overlap = 0
  const receiver = await startReceiver(t, () => {
    inFlight++
    overlap = Math.max(overlap, inFlight)
    setImmediate(() => inFlight--)
    return undefined
  })
  const hub = await startHub(t, false)
  await seedDestination(hub, receiver.url)
  const ids: string[] = []
  for (let i = 0; i < N; i++) ids.push((await hub.post(onwardReferral())).id)
  t.equal((await outboxRows(hub)).length, N)

  const seen: Record<string, number> = {}
  const log = (_l: string, fields: Record<string, unknown>, msg: string) => {
    if (msg === 'outbox delivery done') seen[fields.worker as string] = (seen[fields.worker as string] ?? 0) + 1
  }
  const a = new OutboxWorker(hub.server.db, { ...FAST, batchSize: 4, name: 'a', log })
  const b = new OutboxWorker(hub.server.db, { ...FAST, batchSize: 4, name: 'b', log })
  t.teardown(() => Promise.all([a.stop(), b.stop()]))
  const started = performance.now()
  await Promise.all([a.start(), b.start()])
  await until(async () => (await outboxRows(hub)).every((r) => r.status === 'delivered'), 20_000, 'all delivered')
  const seconds = (performance.now() - started) / 1000
  t.comment(`${N} deliveries in ${seconds.toFixed(2)} s (${Math.round(N / seconds)}/s)`)
  await Promise.all([a.stop(), b.stop()])

  t.equal(receiver.requests.length, N, 'one POST per referral')
  t.equal(receiver.created.size, N)
  t.ok([...receiver.created.values()].every((n) => n === 1))
  const delivered = new Set(receiver.requests.map((b) => b.entry![1].request!.ifNoneExist!.split('|')[1]))
  t.same([...delivered].sort(), [...ids].sort(), 'each referral delivered')
  t.ok((await outboxRows(hub)).every((r) => r.attempts === 1), 'each claimed once')
  t.equal((seen.a ?? 0) + (seen.b ?? 0), N)
  t.comment(`worker a: ${seen.a ?? 0}, worker b: ${seen.b ?? 0}`)
})

t.test('a row claimed by a worker that died is taken over after the lock timeout', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t, false)
  await seedDestination(hub, receiver.url)
  await hub.post(onwardReferral())
  // a claim by a worker that never finished
  await hub.server.db.pool.query(`UPDATE outbox SET locked_by = 'dead-worker', locked_at = now() - interval '1 hour', attempts = 1`)
  const w = new OutboxWorker(hub.server.db, { ...FAST, lockTimeoutMs: 60_000 })
  t.teardown(() => w.stop())
  await w.start()
  await until(async () => (await outboxRows(hub))[0].status === 'delivered', 10_000, 'delivery')
  t.equal(receiver.requests.length, 1)
})
