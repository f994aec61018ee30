// `npm run bench:routing` (issue 6 "Speed"): deliveries per second from the outbox to a loopback
// FHIR receiver with two workers (target ≥ 500/s), and latency from commit to receipt when the
// system is idle (target p99 < 200 ms). The receiver runs in its own process
// (bench/routing-receiver.ts). Appends a section to bench/RESULTS.md (BENCH_RECORD=0: print only).
//
//   BENCH_DELIVERIES (default 3000)  referrals queued before the workers start
//   BENCH_SAMPLES (default 200)      referrals created one at a time for the latency run
//   BENCH_BATCH                      rows a worker claims at once (default: the worker's default)
//   BENCH_PROFILE=file.cpuprofile    CPU profile of this process during the throughput run
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { fork, type ChildProcess } from 'node:child_process'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { loadConfig } from '../src/config.js'
import { outboxWorkers } from '../src/outbox-workers.js'
import { startServer } from '../src/server.js'
import { startEmbeddedPostgres } from '../src/store/embedded-postgres.js'
import { cpuSnapshot, foreignShare } from './cpu.js'
import { codeVersion, machineLine } from './machine.js'

const benchDir = fileURLToPath(new URL('.', import.meta.url))
const N = Number(process.env.BENCH_DELIVERIES ?? 3000)
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200)
const WORKERS = 2
/** BENCH_BATCH: rows a worker claims at once (default: the worker's default) */
const BATCH = process.env.BENCH_BATCH ? Number(process.env.BENCH_BATCH) : undefined
const now = () => performance.timeOrigin + performance.now()
const log = (msg: string) => process.stderr.write(`${msg}\n`)

interface Stats {
  count: number
  posts: number
  receipts: [string, number][]
  /** the receiver process's CPU time so far */
  cpuSeconds: number
}

function startReceiver(): Promise<{ child: ChildProcess; url: string; ask(cmd: string): Promise<any> }> {
  const child = fork(join(benchDir, 'routing-receiver.ts'), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('message', (m: { port: number }) => {
      let pending: ((v: unknown) => void)[] = []
      child.on('message', (reply) => pending.shift()?.(reply))
      const ask = (cmd: string) =>
        new Promise((r) => {
          pending.push(r)
          child.send({ cmd })
        })
      resolve({ child, url: `http://127.0.0.1:${m.port}/fhir`, ask })
      void pending
    })
  })
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]

async function main() {
  const started = Date.now()
  const tempDir = mkdtempSync(join(os.tmpdir(), 'casehub-bench-routing-'))
  log(`starting PostgreSQL in ${tempDir}`)
  const embedded = await startEmbeddedPostgres(tempDir, { persistent: false })
  const receiver = await startReceiver()
  let server: Awaited<ReturnType<typeof startServer>> | undefined
  try {
    const admin = new URL(embedded.url)
    admin.pathname = '/postgres'
    const adminClient = new pg.Client({ connectionString: admin.toString() })
    await adminClient.connect()
    await adminClient.query('CREATE DATABASE bench_routing')
    const pgVersion = (await adminClient.query('SELECT version() AS v')).rows[0].v as string
    await adminClient.end()
    const dbUrl = new URL(embedded.url)
    dbUrl.pathname = '/bench_routing'
    const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: dbUrl.toString(), CASEHUB_WORKERS: '0' })
    log('starting CaseHub (no in-process worker yet)')
    server = await startServer(config, { worker: false })
    const base = server.url
    const send = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${base}/${path}`, { method, headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) })
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
      return res.json() as Promise<any>
    }
    await send('PUT', 'Endpoint/ep-bench', {
      resourceType: 'Endpoint', id: 'ep-bench', status: 'active', address: receiver.url,
      connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'hl7-fhir-rest' },
      payloadType: [{ text: 'FHIR transaction' }],
    })
    await send('PUT', 'HealthcareService/hs-bench', { resourceType: 'HealthcareService', id: 'hs-bench', active: true, name: 'Bench receiver', endpoint: [{ reference: 'Endpoint/ep-bench' }] })
    await send('PUT', 'Patient/p-bench', {
      resourceType: 'Patient', id: 'p-bench', identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9990000018' }],
      name: [{ family: 'Bench', given: ['Betty'] }], birthDate: '1950-01-01', gender: 'female',
    })
    const referral = () => ({
      resourceType: 'ServiceRequest', status: 'active', intent: 'order', priority: 'routine',
      code: { coding: [{ system: 'http://snomed.info/sct', code: '871731000000106', display: 'Referral to social prescribing service' }] },
      subject: { reference: 'Patient/p-bench' }, performer: [{ reference: 'HealthcareService/hs-bench' }], authoredOn: new Date().toISOString(),
    })

    // 1. Throughput: N referrals queued, then two workers drain the queue.
    log(`queueing ${N} onward referrals`)
    for (let i = 0; i < N; i += 100) {
      const entry = Array.from({ length: Math.min(100, N - i) }, () => ({ resource: referral(), request: { method: 'POST', url: 'ServiceRequest' } }))
      await send('POST', '', { resourceType: 'Bundle', type: 'transaction', entry })
    }
    await server.db.pool.query('VACUUM ANALYZE outbox')
    await server.db.pool.query('CHECKPOINT')
    const workers = outboxWorkers(server.db, config, { count: WORKERS, baseUrl: base, log: () => undefined, options: BATCH ? { batchSize: BATCH } : {} })
    let session: Session | undefined
    if (process.env.BENCH_PROFILE) {
      session = new Session()
      session.connect()
      await session.post('Profiler.enable')
      await session.post('Profiler.start')
    }
    const receiverBefore: Stats = await receiver.ask('stats')
    const cpuBefore = cpuSnapshot()
    const nodeBefore = process.cpuUsage()
    const t0 = now()
    for (const w of workers) await w.start()
    let stats: Stats
    for (;;) {
      stats = await receiver.ask('stats')
      if (stats.count >= N) break
      if (now() - t0 > 600_000) throw new Error(`only ${stats.count} of ${N} delivered in 10 minutes`)
      await new Promise((r) => setTimeout(r, 50))
    }
    const lastReceipt = Math.max(...stats.receipts.map(([, at]) => at))
    const received = (lastReceipt - t0) / 1000
    // … and recorded: every outbox row delivered and its tracking Task received
    for (;;) {
      const { rows } = await server.db.pool.query(`SELECT count(*)::int AS n FROM outbox WHERE status = 'delivered'`)
      if (rows[0].n >= N) break
      await new Promise((r) => setTimeout(r, 20))
    }
    const recorded = (now() - t0) / 1000
    const cpuAfter = cpuSnapshot()
    const otherCpu = foreignShare(cpuBefore, cpuAfter)
    const nodeUsage = process.cpuUsage(nodeBefore)
    const nodeCpu = (nodeUsage.user + nodeUsage.system) / 1e6
    const receiverCpu = stats.cpuSeconds - receiverBefore.cpuSeconds
    // everything under this process but itself and the receiver: PostgreSQL (clock ticks of 10 ms)
    const pgCpu = cpuBefore && cpuAfter ? (cpuAfter.own - cpuBefore.own) / 100 - nodeCpu - receiverCpu : undefined
    if (session) {
      const { profile } = await session.post('Profiler.stop')
      writeFileSync(process.env.BENCH_PROFILE!, JSON.stringify(profile))
      session.disconnect()
      log(`profile written to ${process.env.BENCH_PROFILE}`)
    }
    const rate = N / received
    const cpuLine = `CPU during the throughput run: CaseHub process ${nodeCpu.toFixed(1)} s (${(nodeUsage.system / 1e6).toFixed(1)} s of it in the kernel), PostgreSQL ${pgCpu === undefined ? '?' : pgCpu.toFixed(1)} s, receiver ${receiverCpu.toFixed(1)} s, in ${recorded.toFixed(1)} s on ${os.cpus().length} cores`
    log(`${N} delivered in ${received.toFixed(2)} s (${rate.toFixed(0)}/s), recorded in ${recorded.toFixed(2)} s; ${stats.posts} POSTs`)
    log(cpuLine)

    // 2. Latency when idle: one referral at a time, 100 ms apart; commit = the 201 arriving.
    await receiver.ask('reset')
    await new Promise((r) => setTimeout(r, 1500))
    const committed = new Map<string, number>()
    for (let i = 0; i < SAMPLES; i++) {
      const created = await send('POST', 'ServiceRequest', referral())
      committed.set(created.id, now())
      await new Promise((r) => setTimeout(r, 100))
    }
    await new Promise((r) => setTimeout(r, 1000))
    const late: Stats = await receiver.ask('stats')
    const latencies = late.receipts.filter(([id]) => committed.has(id)).map(([id, at]) => at - committed.get(id)!).sort((a, b) => a - b)
    if (latencies.length !== SAMPLES) throw new Error(`latency run: ${latencies.length} of ${SAMPLES} received`)
    const [p50, p95, p99, max] = [50, 95, 99, 100].map((p) => percentile(latencies, p))
    log(`latency ms: p50 ${p50.toFixed(1)}, p95 ${p95.toFixed(1)}, p99 ${p99.toFixed(1)}, max ${max.toFixed(1)}`)
    await Promise.all(workers.map((w) => w.stop()))

    const section = [
      `## Routing — ${new Date().toISOString()}`,
      '',
      `- Machine: ${machineLine()}`,
      `- PostgreSQL: ${pgVersion}`,
      `- CaseHub: ${codeVersion()}`,
      `- Arrangement: \`npm run bench:routing\`. One embedded PostgreSQL (fsync on, default settings); CaseHub (\`startServer\`) and its ${WORKERS} outbox workers (default settings: batch ${workers[0].options.batchSize}, poll ${workers[0].options.pollMs} ms) in the runner's process; the FHIR receiver (answers transaction Bundles, honours conditional creates) in a separate Node process on 127.0.0.1. Throughput: ${N} onward referrals queued first, then the workers started; rate = referrals / (last receipt − workers started). Latency: ${SAMPLES} referrals created one at a time, 100 ms apart, with the workers idle; from the create's 201 (after commit) to the receiver reading the POST, on one wall clock.`,
      '',
      '| Measure | Result | Target | |',
      '|---|---:|---:|---|',
      `| deliveries/s, ${WORKERS} workers | ${rate.toFixed(0)} (${N} in ${received.toFixed(2)} s; all recorded as delivered after ${recorded.toFixed(2)} s) | ≥ 500 | ${rate >= 500 ? 'PASS' : 'FAIL'} |`,
      `| commit → receipt, idle, p50 / p95 / p99 / max (ms) | ${p50.toFixed(1)} / ${p95.toFixed(1)} / ${p99.toFixed(1)} / ${max.toFixed(1)} | p99 < 200 | ${p99 < 200 ? 'PASS' : 'FAIL'} |`,
      '',
      `POSTs at the receiver during the throughput run: ${stats.posts} for ${N} referrals. ${cpuLine}. Other processes used ${otherCpu === undefined ? 'an unknown share' : `${Math.round(otherCpu * 100)} %`} of the CPU during the throughput run. Run took ${Math.round((Date.now() - started) / 1000)} s.`,
      '',
    ].join('\n')
    process.stdout.write(`\n${section}\n`)
    if (process.env.BENCH_RECORD !== '0' && !process.env.BENCH_PROFILE) appendFileSync(join(benchDir, 'RESULTS.md'), `\n${section}`)
  } finally {
    await server?.close().catch(() => undefined)
    receiver.child.kill('SIGTERM')
    await embedded.stop()
    rmSync(tempDir, { recursive: true, force: true })
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench:routing failed: ${(err as Error).stack}\n`)
    process.exit(1)
  },
)
