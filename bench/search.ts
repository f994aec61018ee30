// npm run bench:search — search at scale. Generates a population (`casehub generate`), loads it
// with `casehub load` (ingestion rate, indexing included), then runs the search scenarios of the
// search work at concurrency 8 against a CaseHub server and appends the table to
// bench/RESULTS.md. See bench/README.md.
import autocannon from 'autocannon'
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { generate } from '../src/generate/index.js'
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/store/embedded-postgres.js'
import { migrate } from '../src/store/migrate.js'
import { cpuSnapshot, foreignShare } from './cpu.js'
import { numberFrom } from './options.js'
import { codeVersion, machineLine } from './machine.js'

const benchDir = dirname(fileURLToPath(import.meta.url))
const rootDir = join(benchDir, '..')
const log = (line: string) => process.stderr.write(`${line}\n`)


const opts = {
  patients: numberFrom('BENCH_PATIENTS', 20_000),
  seed: process.env.BENCH_SEED ?? '1',
  duration: numberFrom('BENCH_DURATION', 10),
  warmup: numberFrom('BENCH_WARMUP', 2, 0),
  connections: numberFrom('BENCH_CONNECTIONS', 8),
  record: process.env.BENCH_RECORD !== '0',
  /** Keep the database here and reuse it on the next run (generation and loading are skipped). */
  keepDir: process.env.BENCH_DATA_DIR || undefined,
}

/** Targets of the search work: p50 < 10 ms and p99 < 50 ms at concurrency 8; load ≥ 2,000/s. */
const TARGET = { p50: 10, p99: 50, ingest: 2000 }

interface Scenario {
  name: string
  /** request paths below /fhir, cycled through */
  paths: string[]
}

let embedded: EmbeddedDatabase | undefined
let server: ChildProcess | undefined
let tempDir: string | undefined
let pgDir: string | undefined

async function stopServer() {
  if (server?.pid && server.exitCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve))
    process.kill(server.pid, 'SIGTERM')
    await exited
  }
  server = undefined
}

async function cleanUp() {
  await stopServer()
  await embedded?.stop().catch(() => undefined)
  if (opts.keepDir) log(`database kept in ${opts.keepDir} (BENCH_DATA_DIR); delete it to start afresh`)
  for (const dir of [tempDir, pgDir]) if (dir) rmSync(dir, { recursive: true, force: true })
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: rootDir, env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => {
      stderr += d
      process.stderr.write(d)
    })
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }))
  })
}

/** A CaseHub process over the database; `cacheMb` is CASEHUB_SEARCH_CACHE_MB (0: every search runs). */
async function startServer(databaseUrl: string, cacheMb: number): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/serve-casehub.ts'], {
    cwd: rootDir,
    env: { ...process.env, BENCH_DATABASE_URL: databaseUrl, BENCH_POOL_SIZE: '10', BENCH_SEARCH_CACHE_MB: String(cacheMb) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  server = child
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (m: { listening?: number }) => m.listening && resolve(m.listening))
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)))
  })
  return `http://127.0.0.1:${port}/fhir`
}

/** Parameters for the scenarios, picked from the loaded data so every query finds something. */
async function pickScenarios(db: pg.Client): Promise<Scenario[]> {
  const one = async (sql: string) => (await db.query(sql)).rows.map((r) => r.v as string)
  const withActiveReferrals = await one(`
    SELECT s.target_id AS v FROM search_reference s JOIN search_token t ON t.resource_type = s.resource_type AND t.id = s.id
    WHERE s.resource_type = 'ServiceRequest' AND s.param = 'subject' AND t.param = 'status' AND t.code = 'active'
    GROUP BY s.target_id ORDER BY md5(s.target_id) LIMIT 200`)
  const owners = await one(`
    SELECT s.target_type || '/' || s.target_id AS v FROM search_reference s JOIN search_token t ON t.resource_type = s.resource_type AND t.id = s.id
    WHERE s.resource_type = 'Task' AND s.param = 'owner' AND t.param = 'status' AND t.code = 'requested'
    GROUP BY 1 ORDER BY count(*) DESC LIMIT 5`)
  const withEmergencies = await one(`
    SELECT s.target_id AS v FROM search_reference s
      JOIN search_token t ON t.resource_type = s.resource_type AND t.id = s.id
      JOIN search_date d ON d.resource_type = s.resource_type AND d.id = s.id
    WHERE s.resource_type = 'Encounter' AND s.param = 'subject' AND t.param = 'class' AND t.code = 'EMER'
      AND d.param = 'date' AND d.high > '2025-01-01'
    GROUP BY s.target_id ORDER BY md5(s.target_id) LIMIT 200`)
  if (!withActiveReferrals.length || !owners.length || !withEmergencies.length) {
    throw new Error('the generated population has no active referrals, requested tasks or A&E attendances')
  }
  return [
    { name: 'ServiceRequest?subject=Patient/X&status=active', paths: withActiveReferrals.map((x) => `ServiceRequest?subject=Patient/${x}&status=active`) },
    { name: 'Task?owner=Organization/Y&status=requested&_sort=-authored-on&_count=50', paths: owners.map((y) => `Task?owner=${y}&status=requested&_sort=-authored-on&_count=50`) },
    { name: 'Patient?family=SMITH&birthdate=ge1950', paths: ['Patient?family=SMITH&birthdate=ge1950'] },
    { name: 'Encounter?subject=Patient/X&class=EMER&date=ge2025-01-01', paths: withEmergencies.map((x) => `Encounter?subject=Patient/${x}&class=EMER&date=ge2025-01-01`) },
    { name: 'ServiceRequest?status=active&_include=ServiceRequest:subject&_count=100', paths: ['ServiceRequest?status=active&_include=ServiceRequest:subject&_count=100'] },
  ]
}

interface Measured {
  scenario: string
  requests: number
  rps: number
  p50: number
  p99: number
  non2xx: number
  matches: string
  otherCpu?: number
  /** the server's search result cache was on */
  cache?: boolean
  /** writes committed through the API while measuring */
  writes?: number
}

/** Commits made during a measurement, so that kept search answers keep going stale. */
const WRITES_PER_S = 20

/** Creates a small resource through the API `perSecond` times a second until stopped. */
function startWriter(base: string, perSecond: number) {
  let count = 0
  const timer = setInterval(() => {
    const body = JSON.stringify({ resourceType: 'Basic', code: { text: 'bench:search writer' } })
    fetch(`${base}/Basic`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body })
      .then((res) => res.ok && count++)
      .catch(() => undefined)
  }, 1000 / perSecond)
  return { stop: () => clearInterval(timer), count: () => count }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN

async function measure(base: string, s: Scenario): Promise<Measured> {
  // What the first query finds, for the table (and a check that it finds anything).
  const sample = (await (await fetch(`${base}/${s.paths[0]}`)).json()) as { total?: number; entry?: { search: { mode: string } }[] }
  const matches = (sample.entry ?? []).filter((e) => e.search.mode === 'match').length
  const includes = (sample.entry ?? []).filter((e) => e.search.mode === 'include').length
  if (!matches) throw new Error(`${s.paths[0]} found nothing`)
  const shot = async (seconds: number, record: boolean) => {
    let i = 0
    const latencies: number[] = []
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: base.replace(/\/fhir$/, ''),
          connections: opts.connections,
          duration: seconds,
          timeout: 30,
          headers: { accept: 'application/fhir+json' },
          requests: [{ setupRequest: (req: any) => ({ ...req, path: `/fhir/${s.paths[i++ % s.paths.length]}` }) }],
        },
        (err, res) => (err ? reject(err) : resolve(res)),
      )
      if (record) instance.on('response', (_c: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms))
    })
    return { result, latencies }
  }
  if (opts.warmup) await shot(opts.warmup, false)
  const before = cpuSnapshot()
  const { result, latencies } = await shot(opts.duration, true)
  const otherCpu = foreignShare(before, cpuSnapshot())
  latencies.sort((a, b) => a - b)
  return {
    scenario: s.name,
    requests: result.requests.total,
    rps: result.requests.total / opts.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    non2xx: result.non2xx + result.errors,
    matches: `${sample.total ?? '?'} total, ${matches} on the page${includes ? ` + ${includes} included` : ''}`,
    otherCpu,
  }
}

async function main() {
  const started = Date.now()
  tempDir = mkdtempSync(join(os.tmpdir(), 'casehub-search-bench-'))
  const reuse = opts.keepDir !== undefined && existsSync(join(opts.keepDir, 'pg', 'PG_VERSION'))
  if (opts.keepDir) mkdirSync(opts.keepDir, { recursive: true, mode: 0o777 })
  // its own directory: startEmbeddedPostgres opens it to the unprivileged postgres user
  pgDir = opts.keepDir ? undefined : mkdtempSync(join(os.tmpdir(), 'casehub-search-bench-pg-'))
  embedded = await startEmbeddedPostgres((opts.keepDir ?? pgDir)!, { persistent: opts.keepDir !== undefined })
  const url = new URL(embedded.url)
  const admin = new pg.Client({ connectionString: url.toString() })
  await admin.connect()
  const pgVersion = (await admin.query('SELECT version() AS v')).rows[0].v as string
  const exists = (await admin.query("SELECT 1 FROM pg_database WHERE datname = 'bench_search'")).rowCount === 1
  if (!exists) await admin.query('CREATE DATABASE bench_search')
  await admin.end()
  url.pathname = '/bench_search'
  const databaseUrl = url.toString()
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 })
  await migrate(pool)
  await pool.end()
  const db = new pg.Client({ connectionString: databaseUrl })
  db.on('error', () => undefined)
  await db.connect()

  let ingestion = 'not measured: the database in BENCH_DATA_DIR was loaded by an earlier run'
  if (!(reuse && exists)) {
    const population = join(tempDir, 'population')
    log(`generating ${opts.patients} patients (seed ${opts.seed}) in ${population}`)
    const generated = await generate({ patients: opts.patients, seed: opts.seed, out: population })
    log(`loading ${generated.resources} resources with casehub load`)
    const loadStart = Date.now()
    const before = cpuSnapshot()
    const loaded = await run(process.execPath, [join(rootDir, 'bin/casehub.js'), 'load', population], { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' })
    const loadSeconds = (Date.now() - loadStart) / 1000
    const loadOtherCpu = foreignShare(before, cpuSnapshot())
    if (loaded.code !== 0) throw new Error(`casehub load failed:\n${loaded.stderr.slice(-2000)}`)
    const rate = generated.resources / loadSeconds
    ingestion =
      `\`casehub load\` ${generated.resources.toLocaleString('en-GB')} resources in ${loadSeconds.toFixed(0)} s = **${Math.round(rate).toLocaleString('en-GB')} resources/s** ` +
      `(target ≥ ${TARGET.ingest.toLocaleString('en-GB')}: ${rate >= TARGET.ingest ? 'PASS' : 'FAIL'}); other processes used ` +
      `${loadOtherCpu === undefined ? '?' : Math.round(loadOtherCpu * 100) + ' %'} of the CPU meanwhile`
    log(`loaded in ${loadSeconds.toFixed(0)} s; VACUUM ANALYZE`)
    await db.query('VACUUM ANALYZE')
  }
  const stored = (await db.query('SELECT count(*)::int AS n FROM resource')).rows[0].n as number
  const indexRows = (
    await db.query(`SELECT (SELECT count(*) FROM search_string) + (SELECT count(*) FROM search_token) + (SELECT count(*) FROM search_date)
      + (SELECT count(*) FROM search_number) + (SELECT count(*) FROM search_quantity) + (SELECT count(*) FROM search_reference)
      + (SELECT count(*) FROM search_uri) AS n`)
  ).rows[0].n as string
  const dbSize = (await db.query('SELECT pg_size_pretty(pg_database_size(current_database())) AS s')).rows[0].s as string

  const scenarios = await pickScenarios(db)
  await db.end()
  // Every scenario repeats its searches, so with the search cache on (the default) they are
  // answered from memory after the first; measured first with it off, then on, each on a
  // fresh server.
  const results: Measured[] = []
  // With the cache on, each scenario runs once more while a writer commits WRITES_PER_S
  // resources a second through the API: every commit makes every kept answer miss once.
  for (const [cacheMb, writes] of [[0, 0], [64, 0], [64, WRITES_PER_S]]) {
    const base = await startServer(databaseUrl, cacheMb)
    for (const s of scenarios) {
      log(`measuring ${s.name}, search cache ${cacheMb ? 'on' : 'off'}${writes ? `, ${writes} writes/s` : ''}`)
      const writer = writes ? startWriter(base, writes) : undefined
      const measured = await measure(base, s).finally(() => writer?.stop())
      results.push({ ...measured, cache: cacheMb > 0, writes: writer?.count() })
    }
    await stopServer()
  }

  const lines = [
    `## Search at scale — ${new Date().toISOString()}`,
    '',
    `- Machine: ${machineLine()}`,
    `- PostgreSQL: ${pgVersion}`,
    `- CaseHub: ${codeVersion()}`,
    `- Data: \`casehub generate --patients ${opts.patients} --seed ${opts.seed}\` → ${stored.toLocaleString('en-GB')} resources, ${Number(indexRows).toLocaleString('en-GB')} search index rows, database ${dbSize}`,
    `- Ingestion: ${ingestion}`,
    `- Queries: ${opts.connections} connections, ${opts.warmup} s warm-up then ${opts.duration} s measured each, autocannon in the runner process, one CaseHub process (pool 10) and PostgreSQL on the same machine; parameters X and Y rotate over up to 200 patients / the 5 busiest owners picked from the data. Each scenario runs on a fresh server with the search cache off, then on (the default: repeated searches answered from memory while nothing commits), then on while ${WRITES_PER_S} resources a second are created through the API (each commit makes every kept answer miss once).`,
    '',
    '| Scenario | Search cache | Found (first query) | req/s | p50 (ms) | p99 (ms) | Target p50 < 10, p99 < 50 | Non-2xx | Other CPU |',
    '|---|---|---|---:|---:|---:|---|---:|---:|',
    ...results.map(
      (r) =>
        `| \`${r.scenario}\` | ${r.cache ? (r.writes ? `on, ${r.writes} writes meanwhile` : 'on') : 'off'} | ${r.matches} | ${Math.round(r.rps)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.p50 < TARGET.p50 && r.p99 < TARGET.p99 ? 'PASS' : 'FAIL'} | ${r.non2xx} | ${r.otherCpu === undefined ? '?' : Math.round(r.otherCpu * 100) + ' %'} |`,
    ),
    '',
    `Run took ${Math.round((Date.now() - started) / 1000)} s.`,
    '',
  ]
  const section = lines.join('\n')
  process.stdout.write(section + '\n')
  if (opts.record) appendFileSync(join(benchDir, 'RESULTS.md'), '\n' + section)
  if (results.some((r) => r.non2xx)) throw new Error('some requests failed')
}

main()
  .catch((err) => {
    log(`bench:search failed: ${err instanceof Error ? err.stack : String(err)}`)
    process.exitCode = 1
  })
  .finally(async () => {
    await cleanUp()
    process.exit()
  })
