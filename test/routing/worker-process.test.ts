// `casehub worker` (issue 6 "Delivery workers … `casehub worker` to run them as separate
// processes"): a child process with no HTTP delivers what the server enqueued, logs JSON lines
// without patient data, and on SIGTERM finishes the delivery in flight before it exits.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from '../helpers/cli.js'
import { onwardReferral, outboxRows, seedDestination, startHub, startReceiver, trackingTask, until, type Hub, listenOnLoopback } from './helpers.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

function startWorker(t: Teardown, hub: Hub, args: string[] = []): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [join(ROOT, 'bin/casehub.js'), 'worker', ...args], {
    env: { ...process.env, DATABASE_URL: hub.server.db.url, LOG_LEVEL: 'info', CASEHUB_BASE_URL: hub.url, CASEHUB_WORKERS: '0' },
  })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return { child, output: () => out }
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))))

t.test('a separate worker process delivers, and stops cleanly on SIGTERM', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t, false)
  t.equal(hub.server.workers.length, 0, 'no worker in the server process')
  await seedDestination(hub, receiver.url)
  const sr = await hub.post(onwardReferral())
  await new Promise((r) => setTimeout(r, 300))
  t.equal(receiver.requests.length, 0, 'nothing delivered without a worker')

  const { child, output } = startWorker(t, hub, ['--workers', '2', '--poll-interval', '200'])
  await until(() => /outbox workers started/.test(output()), 30_000, 'worker start')
  await until(async () => (await outboxRows(hub))[0]?.status === 'delivered', 15_000, 'delivery')
  t.equal(receiver.requests.length, 1, 'one POST')
  const task = await until(async () => {
    const x = await trackingTask(hub, sr.id)
    return x.status === 'received' && x
  }, 5000, 'tracking Task received')
  t.match(task.output, [{ valueString: /^Task\// }])

  // delivered soon after a later commit: woken by NOTIFY, not by the 200 ms poll alone
  await hub.post(onwardReferral())
  await until(async () => (await outboxRows(hub)).every((r) => r.status === 'delivered'), 10_000, 'second delivery')

  child.kill('SIGTERM')
  t.equal(await exited(child), 0, 'exits 0 on SIGTERM')
  const lines = output().split('\n').filter((l) => l.trim())
  for (const l of lines) t.doesNotThrow(() => JSON.parse(l), `JSON log line: ${l.slice(0, 80)}`)
  t.match(output(), /"msg":"outbox delivery done"/)
  t.match(output(), /"msg":"outbox workers stopped"/)
  t.notMatch(output(), /Onward|9990000018|pat-1/, 'no patient data in the logs')
})

t.test('SIGTERM during a delivery: the delivery finishes and is recorded before exit', async (t) => {
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => (release = r))
  const receiver = await startReceiver(t)
  const hub = await startHub(t, false)
  // a slow receiver: the answer waits until the worker has been told to stop
  const slow = await startSlowProxy(t, receiver.url, gate)
  await seedDestination(hub, slow.url)
  await hub.post(onwardReferral())
  const { child, output } = startWorker(t, hub, ['--poll-interval', '100'])
  await until(() => slow.received > 0, 30_000, 'delivery in flight')
  child.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 300))
  t.equal(child.exitCode, null, 'still running while the delivery is in flight')
  release()
  t.equal(await exited(child), 0, 'exits 0')
  const [row] = await outboxRows(hub)
  t.match(row, { status: 'delivered', locked_by: null, attempts: 1 }, 'recorded as delivered, claim released')
  t.equal(receiver.created.size, 1)
  t.match(output(), /outbox workers stopped/)
})

t.test('a stopping worker hands back rows it could not record', async (t) => {
  const hub = await startHub(t, false)
  await seedDestination(hub, 'http://127.0.0.1:9/fhir')
  await hub.post(onwardReferral())
  const { OutboxWorker } = await import('../../src/routing/worker.js')
  const w = new OutboxWorker(hub.server.db, { name: 'w-release', pollMs: 60_000 })
  // a claim held by this worker name, as if recording had failed
  await hub.server.db.pool.query(`UPDATE outbox SET locked_by = 'w-release', locked_at = now(), attempts = 1`)
  await w.start()
  await w.stop()
  const [row] = await outboxRows(hub)
  t.match(row, { status: 'pending', locked_by: null, attempts: 0 })
})

/** Forwards POSTs to `target` once `gate` opens; counts what it has received. */
async function startSlowProxy(t: Teardown, target: string, gate: Promise<void>) {
  const { createServer } = await import('node:http')
  const state = { received: 0, url: '' }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', async () => {
      state.received++
      await gate
      const answer = await fetch(`${target}${req.url!.replace(/^\/fhir/, '')}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: Buffer.concat(chunks) })
      res.writeHead(answer.status, { 'content-type': 'application/fhir+json' })
      res.end(await answer.text())
    })
  })
  state.url = await listenOnLoopback(t, server)
  return state
}
