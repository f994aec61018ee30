// npm run bench: CaseHub against a bare Fastify + pg baseline doing the same SQL per request.
// One embedded PostgreSQL, two databases, two server processes, autocannon in this process.
// Prints a table and appends it to bench/RESULTS.md. See bench/README.md.
import autocannon from 'autocannon'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/store/embedded-postgres.js'
import { migrate } from '../src/store/migrate.js'
import { cpuSnapshot, foreignShare } from './cpu.js'
import { numberFrom } from './options.js'
import { summarise } from './profile-summary.js'

const benchDir = dirname(fileURLToPath(import.meta.url))
const rootDir = join(benchDir, '..')

// ---------- options (environment variables, all optional) ----------


const SCENARIOS = ['create', 'read', 'update', 'transaction'] as const
type Scenario = (typeof SCENARIOS)[number]

const opts = {
  duration: numberFrom('BENCH_DURATION', 8),
  warmup: numberFrom('BENCH_WARMUP', 2, 0),
  connections: numberFrom('BENCH_CONNECTIONS', 10),
  rounds: numberFrom('BENCH_ROUNDS', 2),
  seed: numberFrom('BENCH_SEED', 1000),
  poolSize: numberFrom('BENCH_POOL_SIZE', 10),
  scenarios: (process.env.BENCH_SCENARIOS ?? SCENARIOS.join(',')).split(',').map((s) => s.trim()) as Scenario[],
  /** Directory for CPU profiles of each measured run; profiled runs are not recorded. */
  profileDir: process.env.BENCH_PROFILE || undefined,
  record: process.env.BENCH_RECORD !== '0',
}
for (const s of opts.scenarios) if (!SCENARIOS.includes(s)) throw new Error(`Unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`)

/** Throughput targets from the spec: CaseHub req/s as a share of the baseline's. */
const TARGETS: Partial<Record<Scenario, number>> = { read: 0.6, create: 0.5 }

const SIDES = ['baseline', 'casehub'] as const
type Side = (typeof SIDES)[number]
const SERVER_FILES: Record<Side, string> = { baseline: 'bench/baseline-server.ts', casehub: 'bench/serve-casehub.ts' }
const SIDE_LABEL: Record<Side, string> = { baseline: 'Baseline', casehub: 'CaseHub' }

const patientText = readFileSync(join(benchDir, 'fixtures/patient.json'), 'utf8')
const transactionText = readFileSync(join(benchDir, 'fixtures/transaction.json'), 'utf8')
const patient = JSON.parse(patientText)
const FHIR_HEADERS = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' }

const log = (line: string) => process.stderr.write(`${line}\n`)

// ---------- processes ----------

interface Server {
  side: Side
  child: ChildProcess
  origin: string
  output: string[]
  /** Patients created before the runs, for read and update */
  ids: string[]
  updateBodies: string[]
}

const children: ChildProcess[] = []

async function startChild(side: Side, databaseUrl: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_FILES[side]], {
    cwd: rootDir,
    env: { ...process.env, BENCH_DATABASE_URL: databaseUrl, BENCH_POOL_SIZE: String(opts.poolSize) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  children.push(child)
  const output: string[] = []
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString().split('\n').filter(Boolean))
    if (output.length > 100) output.splice(0, output.length - 100)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${side} server did not start within 90 s\n${output.join('\n')}`)), 90_000)
    child.on('message', (m: { listening?: number }) => {
      if (m.listening) {
        clearTimeout(timer)
        resolve(m.listening)
      }
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${side} server exited (${code ?? signal}) before listening\n${output.join('\n')}`))
    })
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
  })
  child.on('exit', (code, signal) => {
    if (stopping) return
    died ??= new Error(`${side} server (pid ${child.pid}) exited unexpectedly (${code ?? signal})\n${output.join('\n')}`)
  })
  log(`${side} server: pid ${child.pid}, http://127.0.0.1:${port}`)
  return { side, child, origin: `http://127.0.0.1:${port}`, output, ids: [], updateBodies: [] }
}

let stopping = false
/** Set when a server exits before the runner stops it; the run is abandoned. */
let died: Error | undefined

async function stopChild(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  process.kill(child.pid, 'SIGTERM')
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000).unref())
  if ((await Promise.race([exited, timeout])) === 'timeout' && child.exitCode === null && child.signalCode === null) {
    log(`pid ${child.pid} did not stop on SIGTERM; sending SIGKILL`)
    process.kill(child.pid, 'SIGKILL')
    await exited
  }
}

/** Sends a command to a server over IPC and waits for its acknowledgement. */
function command(server: Server, message: object): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { ok?: string; error?: string }) => {
      if (m.ok || m.error) {
        server.child.off('message', onMessage)
        if (m.error) reject(new Error(`${server.side}: ${m.error}`))
        else resolve()
      }
    }
    server.child.on('message', onMessage)
    server.child.send(message)
  })
}

// ---------- HTTP helpers for setup and checks ----------

async function call(server: Server, method: string, path: string, body?: string) {
  const res = await fetch(server.origin + path, { method, headers: FHIR_HEADERS, body })
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined }
}

function expectStatus(server: Server, what: string, got: { status: number; text: string }, want: number) {
  if (got.status !== want) throw new Error(`${server.side}: ${what} gave ${got.status}, expected ${want}: ${got.text.slice(0, 500)}`)
}

/** Stable JSON with object keys sorted, for comparing stored resources. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

const withoutServerFields = (r: any) => {
  const { id: _id, meta, ...rest } = r
  const { versionId: _v, lastUpdated: _l, ...clientMeta } = meta ?? {}
  return canonical({ ...rest, meta: clientMeta })
}

/** One request of each scenario against a server; returns what it stored, for comparison. */
async function smokeTest(server: Server) {
  const created = await call(server, 'POST', '/fhir/Patient', patientText)
  expectStatus(server, 'create', created, 201)
  const id = created.json.id as string
  const read = await call(server, 'GET', `/fhir/Patient/${id}`)
  expectStatus(server, 'read', read, 200)
  const updated = await call(server, 'PUT', `/fhir/Patient/${id}`, JSON.stringify({ ...patient, id }))
  expectStatus(server, 'update', updated, 200)
  if (updated.json.meta?.versionId !== '2') throw new Error(`${server.side}: update did not make version 2`)
  const tx = await call(server, 'POST', '/fhir', transactionText)
  expectStatus(server, 'transaction', tx, 200)
  const entries = tx.json.entry as any[]
  if (entries?.length !== 10 || !entries.every((e) => e.response.status.startsWith('201'))) {
    throw new Error(`${server.side}: transaction response is not 10 × 201: ${tx.text.slice(0, 500)}`)
  }
  const patientId = entries[0].resource.id
  const obs = await call(server, 'GET', `/fhir/Observation/${entries[1].resource.id}`)
  expectStatus(server, 'read Observation from the transaction', obs, 200)
  if (obs.json.subject?.reference !== `Patient/${patientId}`) {
    throw new Error(`${server.side}: the transaction's urn:uuid reference was not rewritten: ${obs.json.subject?.reference}`)
  }
  obs.json.subject.reference = 'Patient/(id)'
  return { patient: withoutServerFields(read.json), observation: withoutServerFields(obs.json) }
}

async function seed(server: Server, count: number) {
  let next = 0
  const worker = async () => {
    while (next < count) {
      next++
      const res = await call(server, 'POST', '/fhir/Patient', patientText)
      expectStatus(server, 'seeding create', res, 201)
      server.ids.push(res.json.id)
    }
  }
  await Promise.all(Array.from({ length: 10 }, worker))
  server.updateBodies = server.ids.map((id) => JSON.stringify({ ...patient, id }))
}

// ---------- measurement ----------

interface Run {
  side: Side
  scenario: Scenario
  round: number
  requests: number
  seconds: number
  /** 2xx latencies in ms, sub-millisecond resolution */
  latencies: number[]
  non2xx: number
  errors: number
  timeouts: number
  /** Share of the machine's CPU used by processes outside the benchmark during the run */
  foreign?: number
}

function scenarioOptions(server: Server, scenario: Scenario): Partial<autocannon.Options> {
  switch (scenario) {
    case 'create':
      return { method: 'POST', url: `${server.origin}/fhir/Patient`, body: patientText }
    case 'read': {
      const ids = server.ids
      return {
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => ({ ...req, path: `/fhir/Patient/${ids[Math.floor(Math.random() * ids.length)]}` }),
          },
        ],
      }
    }
    case 'update': {
      // A shared cursor walks the ids in order, so the requests in flight at any moment
      // (one per connection) touch different rows and never wait on each other's locks.
      const { ids, updateBodies } = server
      let cursor = Math.floor(Math.random() * ids.length)
      return {
        requests: [
          {
            method: 'PUT',
            setupRequest: (req) => {
              const i = cursor++ % ids.length
              return { ...req, path: `/fhir/Patient/${ids[i]}`, body: updateBodies[i] }
            },
          },
        ],
      }
    }
    case 'transaction':
      return { method: 'POST', url: `${server.origin}/fhir`, body: transactionText }
  }
}

async function load(server: Server, scenario: Scenario, seconds: number, latencies?: number[]) {
  return new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: server.origin,
        connections: opts.connections,
        duration: seconds,
        headers: FHIR_HEADERS,
        timeout: 30,
        ...scenarioOptions(server, scenario),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    )
    if (latencies) {
      instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
        if (status >= 200 && status < 300) latencies.push(ms)
      })
    }
  })
}

/** Connections for housekeeping between runs: the cluster's admin database and both databases. */
interface Maintenance {
  admin: pg.Client
  databases: pg.Pool[]
}

async function measure(server: Server, scenario: Scenario, round: number, db: Maintenance): Promise<Run> {
  // Each run starts from vacuumed, analysed tables and a checkpoint, so no run inherits the
  // previous one's dead rows, autovacuum work or dirty pages.
  for (const pool of db.databases) await pool.query('VACUUM (ANALYZE)')
  await db.admin.query('CHECKPOINT')
  let non2xx = 0
  let errors = 0
  let timeouts = 0
  if (opts.warmup > 0) {
    const warm = await load(server, scenario, opts.warmup)
    non2xx += warm.non2xx
    errors += warm.errors
    timeouts += warm.timeouts
  }
  const profileFile = opts.profileDir && join(opts.profileDir, `${server.side}-${scenario}-r${round}.cpuprofile`)
  if (profileFile) await command(server, { cmd: 'profile-start' })
  const latencies: number[] = []
  const before = cpuSnapshot()
  const result = await load(server, scenario, opts.duration, latencies)
  const foreign = foreignShare(before, cpuSnapshot())
  if (profileFile) await command(server, { cmd: 'profile-stop', file: profileFile })
  const run: Run = {
    side: server.side,
    scenario,
    round,
    requests: latencies.length,
    seconds: result.duration,
    latencies,
    non2xx: non2xx + result.non2xx,
    errors: errors + result.errors,
    timeouts: timeouts + result.timeouts,
    foreign,
  }
  const bad = run.non2xx + run.errors + run.timeouts
  log(
    `  round ${round} ${scenario.padEnd(11)} ${server.side.padEnd(8)} ${(run.requests / run.seconds).toFixed(0).padStart(6)} req/s` +
      `  p50 ${percentile(latencies, 50).toFixed(2)} ms  p99 ${percentile(latencies, 99).toFixed(2)} ms` +
      (foreign === undefined ? '' : `  other CPU ${percent(foreign)}`) +
      (bad ? `  non-2xx ${run.non2xx} errors ${run.errors} timeouts ${run.timeouts}` : ''),
  )
  return run
}

const percent = (share: number | undefined) => (share === undefined ? '?' : `${(share * 100).toFixed(0)} %`)

/** The largest share of CPU other processes took during any of `runs`. */
const worstForeign = (runs: Run[]) =>
  runs.some((r) => r.foreign !== undefined) ? Math.max(...runs.map((r) => r.foreign ?? 0)) : undefined

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

// ---------- report ----------

interface Summary {
  reqPerSec: number
  p50: number
  p99: number
  bad: number
}

function summary(runs: Run[]): Summary {
  const latencies = runs.flatMap((r) => r.latencies)
  const requests = runs.reduce((n, r) => n + r.requests, 0)
  const seconds = runs.reduce((n, r) => n + r.seconds, 0)
  return {
    reqPerSec: requests / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    bad: runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
  }
}

function table(runs: Run[]) {
  const rows: string[] = [
    '| Scenario | Baseline req/s | Baseline p50 / p99 (ms) | CaseHub req/s | CaseHub p50 / p99 (ms) | CaseHub / baseline | Per round | Target | Result | Non-2xx / errors (B, C) | Other CPU, worst run (B, C) |',
    '|---|---:|---:|---:|---:|---:|---|---:|---|---|---|',
  ]
  let failedTargets = 0
  for (const scenario of opts.scenarios) {
    const b = summary(runs.filter((r) => r.scenario === scenario && r.side === 'baseline'))
    const c = summary(runs.filter((r) => r.scenario === scenario && r.side === 'casehub'))
    const ratio = c.reqPerSec / b.reqPerSec
    const perRound = Array.from({ length: opts.rounds }, (_, i) => {
      const rb = summary(runs.filter((r) => r.scenario === scenario && r.side === 'baseline' && r.round === i + 1))
      const rc = summary(runs.filter((r) => r.scenario === scenario && r.side === 'casehub' && r.round === i + 1))
      return (rc.reqPerSec / rb.reqPerSec).toFixed(2)
    }).join(', ')
    const target = TARGETS[scenario]
    const verdict = target === undefined ? '–' : ratio >= target ? 'PASS' : 'FAIL'
    if (verdict === 'FAIL') failedTargets++
    rows.push(
      `| ${scenario} | ${b.reqPerSec.toFixed(0)} | ${b.p50.toFixed(2)} / ${b.p99.toFixed(2)} | ${c.reqPerSec.toFixed(0)} | ` +
        `${c.p50.toFixed(2)} / ${c.p99.toFixed(2)} | ${(ratio * 100).toFixed(1)} % | ${perRound} | ` +
        `${target === undefined ? '–' : `≥ ${target * 100} %`} | ${verdict} | ${b.bad}, ${c.bad} | ` +
        `${percent(worstForeign(runs.filter((r) => r.scenario === scenario && r.side === 'baseline')))}, ` +
        `${percent(worstForeign(runs.filter((r) => r.scenario === scenario && r.side === 'casehub')))} |`,
    )
  }
  return { text: rows.join('\n'), failedTargets }
}

// ---------- main ----------

/** The commit measured, and whether src/ differs from it. */
function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: rootDir, encoding: 'utf8' }).trim()
    const commit = git('rev-parse', '--short', 'HEAD')
    const dirty = git('status', '--porcelain', '--', 'src') !== ''
    return `commit ${commit}${dirty ? ', with uncommitted changes under src/' : ''}`
  } catch {
    return 'unknown (not a git checkout)'
  }
}

let embedded: EmbeddedDatabase | undefined
let maintenance: Maintenance | undefined
let tempDir: string | undefined

let cleaning: Promise<void> | undefined
/** Stops what this run started, once, however many paths ask for it. */
const cleanUp = () => (cleaning ??= stopEverything())

async function stopEverything() {
  stopping = true
  if (maintenance) {
    for (const pool of maintenance.databases) await pool.end().catch(() => undefined)
    await maintenance.admin.end().catch(() => undefined)
    maintenance = undefined
  }
  for (const child of children) await stopChild(child).catch((err) => log(`stopping pid ${child.pid}: ${err.message}`))
  if (embedded) await embedded.stop().catch((err: Error) => log(`stopping PostgreSQL: ${err.message}`))
  embedded = undefined
  if (tempDir) rmSync(tempDir, { recursive: true, force: true })
  tempDir = undefined
}

async function main() {
  const started = Date.now()
  tempDir = mkdtempSync(join(os.tmpdir(), 'casehub-bench-'))
  log(`starting PostgreSQL in ${tempDir}`)
  embedded = await startEmbeddedPostgres(tempDir, { persistent: false })
  const adminUrl = new URL(embedded.url)
  adminUrl.pathname = '/postgres'
  const admin = new pg.Client({ connectionString: adminUrl.toString() })
  admin.on('error', (err) => log(`admin connection: ${err.message}`))
  maintenance = { admin, databases: [] }
  await admin.connect()
  const pgVersion = (await admin.query('SELECT version() AS v')).rows[0].v as string
  const urls = {} as Record<Side, string>
  for (const side of SIDES) {
    const name = `bench_${side}`
    await admin.query(`CREATE DATABASE ${name}`)
    const url = new URL(embedded.url)
    url.pathname = `/${name}`
    urls[side] = url.toString()
    const pool = new pg.Pool({ connectionString: urls[side], max: 1 })
    pool.on('error', (err) => log(`${side} maintenance connection: ${err.message}`))
    maintenance.databases.push(pool)
    await migrate(pool)
  }

  const servers = {} as Record<Side, Server>
  for (const side of SIDES) servers[side] = await startChild(side, urls[side])

  const stored = {} as Record<Side, Awaited<ReturnType<typeof smokeTest>>>
  for (const side of SIDES) stored[side] = await smokeTest(servers[side])
  const notes: string[] = []
  for (const what of ['patient', 'observation'] as const) {
    if (stored.baseline[what] !== stored.casehub[what]) {
      notes.push(`WARNING: the baseline stores a different ${what} from CaseHub; the comparison is not like for like.`)
      log(`${notes.at(-1)}\n  baseline: ${stored.baseline[what]}\n  casehub:  ${stored.casehub[what]}`)
    }
  }
  const needsSeed = opts.scenarios.some((s) => s === 'read' || s === 'update')
  if (needsSeed) {
    log(`seeding ${opts.seed} Patients on each server`)
    for (const side of SIDES) await seed(servers[side], opts.seed)
  }
  if (opts.profileDir) mkdirSync(opts.profileDir, { recursive: true })

  log(
    `measuring: ${opts.rounds} round(s) × ${opts.scenarios.length} scenario(s) × 2 servers, ` +
      `${opts.warmup} s warm-up + ${opts.duration} s each, ${opts.connections} connections`,
  )
  const runs: Run[] = []
  for (let round = 1; round <= opts.rounds; round++) {
    for (const scenario of opts.scenarios) {
      for (const side of SIDES) {
        runs.push(await measure(servers[side], scenario, round, maintenance!))
        if (died) throw died
      }
    }
  }

  const { text, failedTargets } = table(runs)
  const worst = worstForeign(runs)
  if (worst !== undefined && worst > 0.1) {
    notes.push(
      `WARNING: other processes on the machine used up to ${percent(worst)} of its CPU during a measured run ` +
        `(last column); those numbers are disturbed.`,
    )
  }
  const cpus = os.cpus()
  const machine =
    `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
    `${os.type()} ${os.release()}, Node ${process.version}`
  const arrangement =
    `One embedded PostgreSQL (fsync on, default settings) with two databases, bench_casehub and bench_baseline, ` +
    `same migrations. Each server runs in its own Node process (node --import tsx), pool size ${opts.poolSize}; ` +
    `autocannon runs in the parent process. Nothing is pinned: load generator, the server under test and ` +
    `PostgreSQL share the ${cpus.length} cores, and only one server is under load at a time (the other is idle). ` +
    `Order: for each round, for each scenario, baseline then CaseHub. Each run: VACUUM (ANALYZE) of both databases, CHECKPOINT, ${opts.warmup} s warm-up ` +
    `(discarded), ${opts.duration} s measured with ${opts.connections} connections; ${opts.rounds} rounds. ` +
    `req/s is total 2xx responses over total measured time across rounds; p50/p99 are over every measured ` +
    `2xx response (sub-millisecond timings taken from autocannon's response events). ${opts.seed} Patients ` +
    `pre-created per server for read (random id) and update (ids in turn, so concurrent updates never share a row). ` +
    `"Other CPU" is the share of the machine's CPU that processes outside the benchmark (and hypervisor steal) ` +
    `took during a measured run, from /proc.`
  const section = [
    `## ${new Date().toISOString()}`,
    '',
    `- Machine: ${machine}`,
    `- PostgreSQL: ${pgVersion}`,
    `- CaseHub: ${codeVersion()}`,
    `- Arrangement: ${arrangement}`,
    ...notes.map((n) => `- ${n}`),
    '',
    text,
    '',
    `Targets: read by id ≥ 60 % of baseline throughput, create ≥ 50 %. ` +
      `${failedTargets ? `${failedTargets} target(s) missed.` : 'All targets met.'} Run took ${Math.round((Date.now() - started) / 1000)} s.`,
    '',
  ].join('\n')
  process.stdout.write(`\n${section}\n`)

  if (opts.profileDir) {
    for (const run of runs) {
      const file = join(opts.profileDir, `${run.side}-${run.scenario}-r${run.round}.cpuprofile`)
      if (run.round === 1 && existsSync(file)) {
        process.stdout.write(`\n### CPU profile: ${SIDE_LABEL[run.side]}, ${run.scenario} (${file})\n`)
        process.stdout.write(summarise(JSON.parse(readFileSync(file, 'utf8'))) + '\n')
      }
    }
    log('profiled runs are slower than normal ones and are not recorded in bench/RESULTS.md')
  } else if (opts.record) {
    const results = join(benchDir, 'RESULTS.md')
    if (!existsSync(results)) {
      writeFileSync(results, '# Benchmark results\n\nAppended by `npm run bench` (see README.md); newest last.\n\n')
    }
    appendFileSync(results, `${section}\n`)
    log(`appended to ${results}`)
  }
  const bad = runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0)
  if (bad > 0) throw new Error(`${bad} non-2xx responses, errors or timeouts during the runs (see the table)`)
}

let signalled = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (signalled) process.exit(1)
    signalled = true
    log(`${signal}: stopping`)
    cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  })
}

try {
  await main()
  await cleanUp()
} catch (err) {
  log(`bench failed: ${(err as Error).stack ?? err}`)
  await cleanUp()
  process.exit(1)
}
