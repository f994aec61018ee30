// npm run bench:triage — single-referral triage over HTTP (issue 5: p50/p99 including data fetch,
// target p99 < 100 ms): `GET Patient/{id}/$eligibility?referral=ServiceRequest/{id}` for many
// referrals of a generated population, one at a time and with 4 in flight; the split between
// data fetch and rule evaluation measured in this process; and referral intake (a POST of a
// ServiceRequest claiming the casehub-referral profile, which runs the rules in the create's
// transaction) against the same create without the profile. See bench/README.md.
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { cpuSnapshot, foreignShare } from './cpu.js'
import { fmt, HttpClient, inFlight, summarise, type Summary } from './latency.js'
import { codeVersion, machineLine } from './machine.js'
import { numberFrom } from './options.js'
import { populationDb, type PopulationDb } from './population-db.js'
import { measureSplit } from './triage-split.js'

const benchDir = dirname(fileURLToPath(import.meta.url))
const log = (line: string) => process.stderr.write(`${line}\n`)

const opts = {
  patients: numberFrom('BENCH_PATIENTS', 2000),
  seed: process.env.BENCH_SEED ?? '1',
  referrals: numberFrom('BENCH_REFERRALS', 400),
  warmup: numberFrom('BENCH_WARMUP', 40, 0),
  concurrency: numberFrom('BENCH_CONCURRENCY', 4),
  intakes: numberFrom('BENCH_INTAKES', 150),
  record: process.env.BENCH_RECORD !== '0',
  keepDir: process.env.BENCH_DATA_DIR || undefined,
  /** write each referral's route and criteria here (to compare two versions of the rules) */
  resultsFile: process.env.BENCH_RESULTS_FILE || undefined,
  /** CPU-profile the server during the sequential $eligibility run, into this directory */
  profileDir: process.env.BENCH_PROFILE || undefined,
}
const TARGET_P99 = 100

interface Pair {
  patient: string
  referral: string
  condition?: string
  /** the patient's GP practice, the requester of intake referrals */
  gp?: string
}

let db: PopulationDb | undefined
let server: ChildProcess | undefined

async function startServer(databaseUrl: string): Promise<URL> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/serve-casehub.ts'], {
    cwd: join(benchDir, '..'),
    env: { ...process.env, BENCH_DATABASE_URL: databaseUrl, BENCH_POOL_SIZE: '10' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  server = child
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (m: { listening?: number }) => m.listening && resolve(m.listening))
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)))
  })
  return new URL(`http://127.0.0.1:${port}/fhir/`)
}

function command(message: object): Promise<void> {
  return new Promise((resolve, reject) => {
    server!.once('message', (m: { ok?: string; error?: string }) => (m.error ? reject(new Error(m.error)) : resolve()))
    server!.send(message)
  })
}

/** Generated referrals (ids sr-…), each with its patient and one of the patient's Conditions. */
async function pickPairs(url: string): Promise<Pair[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query(
      `SELECT s.id AS referral, s.target_id AS patient,
         (SELECT c.id FROM search_reference c WHERE c.resource_type = 'Condition' AND c.param = 'subject' AND c.target_id = s.target_id ORDER BY c.id LIMIT 1) AS condition,
         (SELECT g.target_type || '/' || g.target_id FROM search_reference g
           WHERE g.resource_type = 'Patient' AND g.id = s.target_id AND g.param = 'general-practitioner' LIMIT 1) AS gp
       FROM search_reference s
       WHERE s.resource_type = 'ServiceRequest' AND s.param = 'subject' AND s.target_type = 'Patient' AND s.id LIKE 'sr-%'
       ORDER BY md5(s.id) LIMIT $1`,
      [opts.referrals + opts.warmup],
    )
    return rows
  } finally {
    await client.end()
  }
}

interface Criterion { part: { name: string; valueString?: string; valueBoolean?: boolean }[] }
type EligibilityBody = { parameter?: ({ name: string; valueCode?: string } & Partial<Criterion>)[] }

/** One line per referral: route and each criterion (met, not met, or unknown). */
function resultLine(pair: Pair, body: EligibilityBody): string {
  const route = body.parameter?.find((p) => p.name === 'route')?.valueCode
  const criteria = (body.parameter ?? []).filter((p) => p.name === 'criterion').map((c) => {
    const met = c.part!.find((x) => x.name === 'met')?.valueBoolean
    return `${c.part!.find((x) => x.name === 'name')?.valueString}=${met ?? '?'}`
  })
  return `Patient/${pair.patient} ServiceRequest/${pair.referral} ${route} ${criteria.join('; ')}`
}

async function eligibility(http: HttpClient, pairs: Pair[], concurrency: number, lines?: string[]) {
  const before = cpuSnapshot()
  const started = performance.now()
  const timed = await inFlight(pairs, concurrency, async (pair) => {
    const r = await http.request<EligibilityBody>('GET', `Patient/${pair.patient}/$eligibility?referral=ServiceRequest/${pair.referral}`)
    if (r.status !== 200) throw new Error(`$eligibility for Patient/${pair.patient} answered ${r.status}: ${JSON.stringify(r.body)}`)
    lines?.push(resultLine(pair, r.body))
    return r.ms
  })
  return { summary: summarise(timed), rps: pairs.length / ((performance.now() - started) / 1000), other: foreignShare(before, cpuSnapshot()) }
}

function referralBody(pair: Pair, profile: boolean) {
  return {
    resourceType: 'ServiceRequest',
    ...(profile ? { meta: { profile: ['https://casehub.org/fhir/StructureDefinition/casehub-referral'] } } : {}),
    status: 'active',
    intent: 'order',
    category: [{ coding: [{ system: 'http://snomed.info/sct', code: '3457005', display: 'Patient referral' }] }],
    priority: 'routine',
    code: { text: 'Referral to community case management' },
    subject: { reference: `Patient/${pair.patient}` },
    authoredOn: new Date().toISOString(),
    requester: { reference: pair.gp ?? 'Organization/gp-P91003' },
    performer: [{ reference: 'Organization/cmt-trafford', display: 'Trafford Case Management Team' }],
    // the referral profile wants a reason (chr-1): one of the patient's Conditions, else the referrer's concern
    ...(pair.condition
      ? { reasonReference: [{ reference: `Condition/${pair.condition}` }] }
      : { reasonCode: [{ coding: [{ system: 'https://casehub.org/fhir/CodeSystem/referral-reason', code: 'at-risk-of-deterioration' }] }] }),
  }
}

/** Creates, alternating with and without the referral profile, one at a time. */
async function intake(http: HttpClient, pairs: Pair[]) {
  const ms = { with: [] as number[], without: [] as number[] }
  const before = cpuSnapshot()
  for (const [i, pair] of pairs.entries()) {
    for (const profile of i % 2 ? [true, false] : [false, true]) {
      const r = await http.request<{ resourceType: string }>('POST', 'ServiceRequest', referralBody(pair, profile))
      if (r.status !== 201) throw new Error(`create answered ${r.status}: ${JSON.stringify(r.body)}`)
      if (i >= 10) ms[profile ? 'with' : 'without'].push(r.ms)
    }
  }
  return { with: summarise(ms.with), without: summarise(ms.without), other: foreignShare(before, cpuSnapshot()) }
}

const pct = (v: number | undefined) => (v === undefined ? '?' : `${Math.round(v * 100)} %`)
const row = (name: string, s: Summary, extra: string[] = []) =>
  `| ${[name, s.n, fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.mean), fmt(s.max), ...extra].join(' | ')} |`

async function main() {
  const started = Date.now()
  db = await populationDb({ patients: opts.patients, seed: opts.seed, database: 'bench_triage', keepDir: opts.keepDir, log })
  const pairs = await pickPairs(db.url)
  if (pairs.length < opts.warmup + 10) throw new Error(`only ${pairs.length} generated referrals found`)
  const [warm, measured] = [pairs.slice(0, opts.warmup), pairs.slice(opts.warmup)]
  const base = await startServer(db.url)
  const http = new HttpClient(base, Math.max(opts.concurrency, 1))
  log(`warming up with ${warm.length} referrals`)
  await eligibility(http, warm, 1)
  log(`$eligibility, ${measured.length} referrals one at a time`)
  const profile = opts.profileDir && join(opts.profileDir, 'triage-eligibility.cpuprofile')
  if (profile) await command({ cmd: 'profile-start' })
  const lines: string[] = []
  const sequential = await eligibility(http, measured, 1, lines)
  if (profile) await command({ cmd: 'profile-stop', file: profile })
  if (opts.resultsFile) writeFileSync(opts.resultsFile, lines.sort().join('\n') + '\n')
  log(`$eligibility, ${measured.length} referrals, ${opts.concurrency} in flight`)
  const concurrent = await eligibility(http, measured, opts.concurrency)
  log(`intake, ${opts.intakes} referrals with and without the profile`)
  const intakes = await intake(http, measured.slice(0, opts.intakes + 10))
  http.close()
  log('in-process split: fetch and evaluation')
  const split = await measureSplit(db.url, pairs.slice(0, Math.min(pairs.length, 200)), 20)

  const head = '| Measure | n | p50 (ms) | p95 (ms) | p99 (ms) | mean (ms) | max (ms) |'
  const lines2 = [
    `## Triage — ${new Date().toISOString()}`,
    '',
    `- Machine: ${machineLine()}`,
    `- PostgreSQL: ${db.pgVersion}`,
    `- CaseHub: ${codeVersion()}`,
    `- Data: ${db.loaded}; ${measured.length} generated referrals (ServiceRequest sr-…, picked by md5 of the id) after ${warm.length} for warm-up.`,
    `- Server: one CaseHub process (pool 10) on the same machine as PostgreSQL and this runner; requests over HTTP keep-alive, timed from send to last byte.`,
    '',
    `${head} req/s | Target p99 < ${TARGET_P99} | Other CPU |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---:|',
    row('`$eligibility?referral=…`, one at a time', sequential.summary, [sequential.rps.toFixed(0), sequential.summary.p99 < TARGET_P99 ? 'PASS' : 'FAIL', pct(sequential.other)]),
    row(`\`$eligibility?referral=…\`, ${opts.concurrency} in flight`, concurrent.summary, [concurrent.rps.toFixed(0), concurrent.summary.p99 < TARGET_P99 ? 'PASS' : 'FAIL', pct(concurrent.other)]),
    row('POST ServiceRequest, casehub-referral (intake and triage)', intakes.with, ['–', intakes.with.p99 < TARGET_P99 ? 'PASS' : 'FAIL', pct(intakes.other)]),
    row('POST ServiceRequest, no profile (no intake)', intakes.without, ['–', '–', pct(intakes.other)]),
    '',
    `Where an assessment's time goes, in the runner process over the same database (sequential, ${split.total.n} referrals after 20 for warm-up; ${split.resources.toFixed(1)} resources fetched per patient on average):`,
    '',
    head,
    '|---|---:|---:|---:|---:|---:|---:|',
    row('read Patient and referral', split.read),
    row('fetch the record (SQL, JSON parse)', split.fetch),
    row('evaluate the rules (cql-execution)', split.evaluate),
    row('total', split.total),
    '',
    `Run took ${Math.round((Date.now() - started) / 1000)} s.`,
    '',
  ]
  const section = lines2.join('\n')
  process.stdout.write(section + '\n')
  if (opts.record) appendFileSync(join(benchDir, 'RESULTS.md'), '\n' + section)
}

main()
  .catch((err) => {
    log(`bench:triage failed: ${err instanceof Error ? err.stack : String(err)}`)
    process.exitCode = 1
  })
  .finally(async () => {
    if (server?.pid && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve))
      process.kill(server.pid, 'SIGTERM')
      await exited
    }
    await db?.stop()
    process.exit()
  })
