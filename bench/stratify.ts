// npm run bench:stratify — risk stratification of a whole registered population (issue 5).
// Generates a population (`casehub generate`), loads it with `casehub load`, then runs
// `casehub stratify` in a child process, as an operator would, on a fresh copy of the loaded
// database, and reports patients/s, the child's peak RSS and the extrapolation to Trafford's
// 215,000 people (target ≤ 10 minutes). Appends a section to bench/RESULTS.md. See bench/README.md.
import { spawn } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { generate } from '../src/generate/index.js'
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/store/embedded-postgres.js'
import { migrate } from '../src/store/migrate.js'
import { cpuSnapshot, foreignShare } from './cpu.js'
import { codeVersion, machineLine } from './machine.js'
import { numberFrom } from './options.js'

const benchDir = dirname(fileURLToPath(import.meta.url))
const rootDir = join(benchDir, '..')
const log = (line: string) => process.stderr.write(`${line}\n`)

const opts = {
  patients: numberFrom('BENCH_PATIENTS', 5_000),
  seed: process.env.BENCH_SEED ?? '1',
  /** the assessment moment: the generated records cover the two years up to the end of 2025 */
  date: process.env.BENCH_DATE ?? '2025-12-01T12:00:00Z',
  /** CASEHUB_STRATIFY_WORKERS of the run (0: one per core) */
  workers: numberFrom('BENCH_WORKERS', 0, 0),
  /** CASEHUB_STRATIFY_BATCH_SIZE of the run */
  batchSize: numberFrom('BENCH_BATCH_SIZE', 500),
  /** stratification runs, each on a fresh copy of the loaded database */
  rounds: numberFrom('BENCH_ROUNDS', 1),
  record: process.env.BENCH_RECORD !== '0',
  /** Keep the database here and reuse it on the next run (generation and loading are skipped). */
  keepDir: process.env.BENCH_DATA_DIR || undefined,
  /** a directory: CPU-profile the stratify process there (slower; never recorded) */
  profile: process.env.BENCH_PROFILE || undefined,
}

/** Trafford's population (seed 001) and the time the whole stratification may take. */
const TRAFFORD = 215_000
const TARGET_SECONDS = 600

let embedded: EmbeddedDatabase | undefined
let tempDir: string | undefined
let pgDir: string | undefined

async function cleanUp() {
  await embedded?.stop().catch(() => undefined)
  if (opts.keepDir) log(`database kept in ${opts.keepDir} (BENCH_DATA_DIR); delete it to start afresh`)
  for (const dir of [tempDir, pgDir]) if (dir) rmSync(dir, { recursive: true, force: true })
}

interface Finished {
  code: number
  stdout: string
  stderr: string
  /** the child's high-water RSS (VmHWM), bytes, last seen before it exited */
  peakRss: number
}

/** Runs a command, watching its resident memory through /proc (worker threads included: same process). */
function run(cmd: string, args: string[], env: Record<string, string>, echo = true): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: rootDir, env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    let peakRss = 0
    const watch = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
        const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
        peakRss = Math.max(peakRss, kb * 1024)
      } catch {
        // exited, or not Linux
      }
    }, 100)
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => {
      stderr += d
      if (echo) process.stderr.write(d)
    })
    child.on('exit', (code) => {
      clearInterval(watch)
      resolve({ code: code ?? 1, stdout, stderr, peakRss })
    })
  })
}

const casehub = (args: string[], env: Record<string, string>, echo?: boolean) =>
  run(process.execPath, [...(opts.profile ? [`--cpu-prof`, `--cpu-prof-dir=${opts.profile}`] : []), join(rootDir, 'bin/casehub.js'), ...args], env, echo)

interface Round {
  registered: number
  /** the run itself, from the stratification_run row (started_at → finished_at) */
  runSeconds: number
  /** the whole command: start-up, the run, shutdown */
  commandSeconds: number
  peakRss: number
  otherCpu?: number
  summary: string
  /** patients/s from the first committed batch to the end */
  steadyRate: number
  /** CPU of the stratify process and PostgreSQL per patient, in that steady state */
  cpuMsPerPatient?: number
}

async function stratifyOnce(admin: pg.Client, adminUrl: URL, round: number): Promise<Round> {
  // A fresh copy each round: a run in a cycle already stratified would assess nobody.
  const name = `bench_stratify_run${round}`
  await admin.query(`DROP DATABASE IF EXISTS ${name}`)
  await admin.query(`CREATE DATABASE ${name} TEMPLATE bench_stratify`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  log(`round ${round}: casehub stratify --date ${opts.date}`)
  const db = new pg.Client({ connectionString: url.toString() })
  db.on('error', () => undefined)
  await db.connect()
  // Steady state: from the first committed batch (start-up, the population count and the
  // worker threads' start are behind it) to the end of the run, by polling the run's row.
  let firstBatch: { processed: number; at: number; cpu: ReturnType<typeof cpuSnapshot> } | undefined
  let polling = false
  const poll = setInterval(async () => {
    if (firstBatch || polling) return
    polling = true
    const r = (await db.query(`SELECT processed, extract(epoch FROM clock_timestamp())::float AS at FROM stratification_run WHERE status = 'running'`).catch(() => ({ rows: [] }))).rows[0]
    if (r?.processed > 0) firstBatch = { processed: r.processed, at: r.at, cpu: cpuSnapshot() }
    polling = false
  }, 100)
  const before = cpuSnapshot()
  const started = Date.now()
  const done = await casehub(['stratify', '--date', opts.date], {
    DATABASE_URL: url.toString(), LOG_LEVEL: 'silent', CASEHUB_STRATIFY_WORKERS: String(opts.workers), CASEHUB_STRATIFY_BATCH_SIZE: String(opts.batchSize),
  })
  clearInterval(poll)
  const commandSeconds = (Date.now() - started) / 1000
  const after = cpuSnapshot()
  const otherCpu = foreignShare(before, after)
  if (done.code !== 0) throw new Error(`casehub stratify failed:\n${done.stderr.slice(-2000)}`)
  const row = (await db.query(`SELECT total, processed, assessed, extract(epoch FROM finished_at - started_at)::float AS s,
      extract(epoch FROM finished_at)::float AS finished FROM stratification_run WHERE status = 'completed' ORDER BY finished_at DESC LIMIT 1`)).rows[0]
  const written = (await db.query(`SELECT count(*)::int AS n FROM resource WHERE resource_type = 'RiskAssessment' AND NOT deleted`)).rows[0].n as number
  await db.end()
  await admin.query(`DROP DATABASE ${name}`)
  if (!row || row.assessed !== row.total || written !== row.total) {
    throw new Error(`the run assessed ${row?.assessed} of ${row?.total} registered patients and ${written} RiskAssessments are stored`)
  }
  if (!firstBatch || firstBatch.processed >= row.total) throw new Error('the run finished within one poll: use a larger BENCH_PATIENTS')
  const steadyPatients = row.total - firstBatch.processed
  const ticks = after && firstBatch.cpu ? after.own - firstBatch.cpu.own : undefined
  return {
    registered: row.total, runSeconds: row.s, commandSeconds, peakRss: done.peakRss, otherCpu, summary: done.stdout.trim(),
    steadyRate: steadyPatients / (row.finished - firstBatch.at),
    // /proc ticks are 1/100 s (USER_HZ) on Linux
    cpuMsPerPatient: ticks === undefined ? undefined : (ticks * 10) / steadyPatients,
  }
}

async function main() {
  const started = Date.now()
  tempDir = mkdtempSync(join(os.tmpdir(), 'casehub-stratify-bench-'))
  const reuse = opts.keepDir !== undefined && existsSync(join(opts.keepDir, 'pg', 'PG_VERSION'))
  if (opts.keepDir) mkdirSync(opts.keepDir, { recursive: true, mode: 0o777 })
  // its own directory: startEmbeddedPostgres opens it to the unprivileged postgres user
  pgDir = opts.keepDir ? undefined : mkdtempSync(join(os.tmpdir(), 'casehub-stratify-bench-pg-'))
  embedded = await startEmbeddedPostgres((opts.keepDir ?? pgDir)!, { persistent: opts.keepDir !== undefined })
  const adminUrl = new URL(embedded.url)
  const admin = new pg.Client({ connectionString: adminUrl.toString() })
  admin.on('error', () => undefined) // PostgreSQL stopping under it after a failure
  await admin.connect()
  const pgVersion = (await admin.query('SELECT version() AS v')).rows[0].v as string
  const exists = (await admin.query("SELECT 1 FROM pg_database WHERE datname = 'bench_stratify'")).rowCount === 1
  if (!exists) await admin.query('CREATE DATABASE bench_stratify')
  const url = new URL(adminUrl)
  url.pathname = '/bench_stratify'
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 })
  await migrate(pool)
  await pool.end()

  let data = 'the database in BENCH_DATA_DIR, loaded by an earlier run'
  if (!(reuse && exists)) {
    const population = join(tempDir, 'population')
    log(`generating ${opts.patients} patients (seed ${opts.seed}) in ${population}`)
    const generated = await generate({ patients: opts.patients, seed: opts.seed, out: population })
    log(`loading ${generated.resources} resources with casehub load`)
    const loaded = await run(process.execPath, [join(rootDir, 'bin/casehub.js'), 'load', population], { DATABASE_URL: url.toString(), LOG_LEVEL: 'silent' })
    if (loaded.code !== 0) throw new Error(`casehub load failed:\n${loaded.stderr.slice(-2000)}`)
    data = `\`casehub generate --patients ${opts.patients} --seed ${opts.seed}\`, loaded with \`casehub load\``
  }
  const db = new pg.Client({ connectionString: url.toString() })
  await db.connect()
  await db.query('VACUUM ANALYZE')
  const stored = (await db.query('SELECT count(*)::int AS n FROM resource')).rows[0].n as number
  const dbSize = (await db.query('SELECT pg_size_pretty(pg_database_size(current_database())) AS s')).rows[0].s as string
  await db.end()
  await admin.query('CHECKPOINT')

  const rounds: Round[] = []
  for (let i = 1; i <= opts.rounds; i++) rounds.push(await stratifyOnce(admin, adminUrl, i))
  await admin.end()

  const best = rounds.reduce((a, b) => (b.steadyRate > a.steadyRate ? b : a))
  // This population's whole command, plus the rest of Trafford at the steady rate.
  const projected = best.commandSeconds + (TRAFFORD - best.registered) / best.steadyRate
  const cores = os.cpus().length
  const cpuProjected = best.cpuMsPerPatient === undefined ? undefined : best.commandSeconds - best.registered / best.steadyRate + (TRAFFORD * best.cpuMsPerPatient) / 1000 / cores
  const minutes = (s: number) => `${Math.floor(Math.round(s) / 60)} min ${String(Math.round(s) % 60).padStart(2, '0')} s`
  const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`
  const pct = (x?: number) => (x === undefined ? '?' : `${Math.round(x * 100)} %`)
  const lines = [
    `## Risk stratification — ${new Date().toISOString()}`,
    '',
    `- Machine: ${machineLine()}`,
    `- PostgreSQL: ${pgVersion}`,
    `- CaseHub: ${codeVersion()}`,
    `- Data: ${data} → ${stored.toLocaleString('en-GB')} resources, database ${dbSize}; ${best.registered.toLocaleString('en-GB')} patients registered with the Trafford practices`,
    `- Run: \`casehub stratify --date ${opts.date}\` in a child process (CASEHUB_STRATIFY_WORKERS=${opts.workers}${opts.workers ? '' : ': one per core'}, CASEHUB_STRATIFY_BATCH_SIZE=${opts.batchSize}), on a fresh copy of the loaded database each round, PostgreSQL on the same machine; ${opts.rounds} round(s). "Run" is the stratification_run row's started_at → finished_at; "command" adds start-up (validation, terminology, worker threads) and shutdown. Peak RSS is the stratify process's VmHWM (its worker threads included, PostgreSQL not).${opts.profile ? ' **CPU-profiled: slower than normal.**' : ''}`,
    '',
    '| Round | Registered | Run (s) | Patients/s (run) | Patients/s (steady) | CPU ms/patient (steady) | Command (s) | Peak RSS | Other CPU |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rounds.map((r, i) =>
      `| ${i + 1} | ${r.registered.toLocaleString('en-GB')} | ${r.runSeconds.toFixed(1)} | ${Math.round(r.registered / r.runSeconds)} | ${Math.round(r.steadyRate)} | ${r.cpuMsPerPatient?.toFixed(2) ?? '?'} | ${r.commandSeconds.toFixed(1)} | ${mib(r.peakRss)} | ${pct(r.otherCpu)} |`),
    '',
    '"Steady" is from the first committed batch to the end of the run (start-up, the population count and the worker threads\' start are before it); ' +
      'CPU ms/patient is what the stratify process and PostgreSQL used meanwhile, per patient, which other load on the machine hardly changes.',
    '',
    `Extrapolated to Trafford's ${TRAFFORD.toLocaleString('en-GB')} people (round ${rounds.indexOf(best) + 1}: this population's command, then the rest at ${Math.round(best.steadyRate)} patients/s): **${minutes(projected)}** ` +
      `(target ≤ ${TARGET_SECONDS / 60} min: ${projected <= TARGET_SECONDS ? 'PASS' : 'FAIL'})` +
      (cpuProjected === undefined ? '' : `; from the CPU per patient, with all ${cores} cores free of other load: ${minutes(cpuProjected)}`) +
      '. Batches are of a fixed size (two in flight), so memory does not grow with the population.',
    '',
    `Summary of the last run: ${rounds.at(-1)!.summary.split('\n').join('; ')}. Run took ${Math.round((Date.now() - started) / 1000)} s.`,
    '',
  ]
  const section = lines.join('\n')
  process.stdout.write(section + '\n')
  if (opts.record && !opts.profile) appendFileSync(join(benchDir, 'RESULTS.md'), '\n' + section)
}

main()
  .catch((err) => {
    log(`bench:stratify failed: ${err instanceof Error ? err.stack : String(err)}`)
    process.exitCode = 1
  })
  .finally(async () => {
    await cleanUp()
    process.exit()
  })
