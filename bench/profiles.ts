// npm run bench:profiles — the cost of validating against CaseHub's profiles (meta.profile).
// 1. In process: µs per resource for the referral and care plan examples, base validation alone
//    and base + profile, as the write path runs them (registry and terminology as at start).
// 2. Over HTTP: create throughput and latency of the same referral with and without
//    meta.profile, alternating rounds against one CaseHub process, so the two are compared in
//    the same run. Target: profile validation adds less than 25 % to create latency.
// Appends a section to bench/RESULTS.md (BENCH_RECORD=0 to skip). See bench/README.md.
import autocannon from 'autocannon'
import { spawn, type ChildProcess } from 'node:child_process'
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Resource } from '@medplum/fhirtypes'
import { registerCanonical } from '../src/fhir/conformance/canonical-registry.js'
import { declaredProfileIssues } from '../src/fhir/conformance/declared-profiles.js'
import { readConformanceFiles } from '../src/fhir/conformance/install.js'
import { checkResource, initValidation } from '../src/fhir/validation/index.js'
import { startEmbeddedPostgres } from '../src/store/embedded-postgres.js'
import { codeVersion, machineLine } from './machine.js'
import { numberFrom } from './options.js'

const benchDir = dirname(fileURLToPath(import.meta.url))
const rootDir = join(benchDir, '..')
const log = (line: string) => process.stderr.write(`${line}\n`)

const opts = {
  duration: numberFrom('BENCH_DURATION', 8),
  warmup: numberFrom('BENCH_WARMUP', 2, 0),
  connections: numberFrom('BENCH_CONNECTIONS', 10),
  rounds: numberFrom('BENCH_ROUNDS', 3),
  record: process.env.BENCH_RECORD !== '0',
}
const TARGET_ADDED_LATENCY = 0.25

const example = (id: string): Resource => JSON.parse(readFileSync(join(rootDir, `profiles/examples/casehub-${id}-example.json`), 'utf8'))

// ---------- 1. µs per resource ----------

function microseconds(run: () => unknown, iterations: number): number {
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) run()
  return Number(process.hrtime.bigint() - start) / iterations / 1000
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

function perResource(): { name: string; base: number; profiled: number }[] {
  initValidation()
  for (const { resource } of readConformanceFiles([join(rootDir, 'profiles'), join(rootDir, 'terminology')])) registerCanonical(resource)
  return ['referral', 'careplan'].map((id) => {
    const resource = example(id)
    const base = () => checkResource(resource, { expectedType: resource.resourceType })
    const profiled = () => {
      base()
      if (declaredProfileIssues(resource).some((i) => i.severity === 'error')) throw new Error(`the ${id} example does not conform`)
    }
    for (let i = 0; i < 500; i++) profiled()
    const b: number[] = []
    const p: number[] = []
    for (let round = 0; round < 7; round++) {
      b.push(microseconds(base, 2000))
      p.push(microseconds(profiled, 2000))
    }
    return { name: `casehub-${id}`, base: median(b), profiled: median(p) }
  })
}

// ---------- 2. create over HTTP ----------

async function startCaseHub(databaseUrl: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/serve-casehub.ts'], {
    cwd: rootDir,
    env: { ...process.env, BENCH_DATABASE_URL: databaseUrl, BENCH_POOL_SIZE: '10' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (m: { listening?: number }) => m.listening && resolve(m.listening))
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)))
  })
  return { child, base: `http://127.0.0.1:${port}/fhir` }
}

interface Run {
  variant: 'plain' | 'profiled'
  rps: number
  mean: number
  p50: number
  p99: number
  bad: number
}

async function createRun(base: string, variant: Run['variant'], body: string, seconds: number): Promise<Run> {
  const result = await autocannon({
    url: `${base}/ServiceRequest`,
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body,
    connections: opts.connections,
    duration: seconds,
  })
  return {
    variant,
    rps: result.requests.average,
    mean: result.latency.mean,
    p50: result.latency.p50,
    p99: result.latency.p99,
    bad: result.non2xx + result.errors + result.timeouts,
  }
}

async function creates(databaseUrl: string): Promise<Run[]> {
  const { child, base } = await startCaseHub(databaseUrl)
  try {
    // As a draft: an active referral claiming the profile would also be triaged (referral intake),
    // and this benchmark measures validation only.
    const { id: _id, meta, ...active } = example('referral') as Resource & { status?: string }
    const referral = { ...active, status: 'draft' }
    const bodies = { profiled: JSON.stringify({ ...referral, meta }), plain: JSON.stringify(referral) }
    const check = await fetch(`${base}/ServiceRequest`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: bodies.profiled })
    if (check.status !== 201) throw new Error(`the profiled referral was refused (${check.status}): ${await check.text()}`)
    const runs: Run[] = []
    for (let round = 1; round <= opts.rounds; round++) {
      // Alternate the order so neither variant always runs on a warmer or fuller database.
      const order: Run['variant'][] = round % 2 ? ['plain', 'profiled'] : ['profiled', 'plain']
      for (const variant of order) {
        if (opts.warmup) await createRun(base, variant, bodies[variant], opts.warmup)
        log(`round ${round}: ${variant}`)
        runs.push(await createRun(base, variant, bodies[variant], opts.duration))
      }
    }
    return runs
  } finally {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
  }
}

// ---------- report ----------

async function main() {
  const started = Date.now()
  log('measuring validation per resource')
  const perType = perResource()
  const dir = mkdtempSync(join(os.tmpdir(), 'casehub-profiles-bench-'))
  const embedded = await startEmbeddedPostgres(dir, { persistent: false })
  let runs: Run[]
  try {
    runs = await creates(embedded.url)
  } finally {
    await embedded.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  const avg = (variant: Run['variant'], key: 'rps' | 'mean' | 'p50' | 'p99') => {
    const xs = runs.filter((r) => r.variant === variant).map((r) => r[key])
    return xs.reduce((a, b) => a + b, 0) / xs.length
  }
  const added = avg('profiled', 'mean') / avg('plain', 'mean') - 1
  const section = [
    `## Profile validation — ${new Date().toISOString()}`,
    '',
    `- Machine: ${machineLine()}`,
    `- CaseHub: ${codeVersion()}`,
    `- Per resource: median of 7 rounds of 2,000 validations each, in the runner process, of the examples in profiles/examples.`,
    `- Create: POST ServiceRequest (the referral example) with and without \`meta.profile\`, ${opts.rounds} alternating rounds of ${opts.duration} s at ${opts.connections} connections, one CaseHub process on embedded PostgreSQL.`,
    '',
    '| Resource | base validation (µs) | base + profile (µs) | profile adds (µs) |',
    '|---|---:|---:|---:|',
    ...perType.map((r) => `| ${r.name} | ${r.base.toFixed(1)} | ${r.profiled.toFixed(1)} | ${(r.profiled - r.base).toFixed(1)} |`),
    '',
    '| Create | req/s | mean latency (ms) | p50 (ms) | p99 (ms) |',
    '|---|---:|---:|---:|---:|',
    ...(['plain', 'profiled'] as const).map(
      (v) => `| ${v === 'plain' ? 'without meta.profile' : 'with meta.profile (casehub-referral)'} | ${Math.round(avg(v, 'rps'))} | ${avg(v, 'mean').toFixed(2)} | ${avg(v, 'p50').toFixed(1)} | ${avg(v, 'p99').toFixed(1)} |`,
    ),
    '',
    `Profile validation adds ${(added * 100).toFixed(1)} % to mean create latency (target < ${TARGET_ADDED_LATENCY * 100} %): ${added < TARGET_ADDED_LATENCY ? 'PASS' : 'FAIL'}. Run took ${Math.round((Date.now() - started) / 1000)} s.`,
    '',
  ].join('\n')
  process.stdout.write(`\n${section}\n`)
  const bad = runs.reduce((n, r) => n + r.bad, 0)
  if (bad > 0) throw new Error(`${bad} non-2xx responses, errors or timeouts during the runs`)
  if (opts.record) {
    appendFileSync(join(benchDir, 'RESULTS.md'), `${section}\n`)
    log('appended to bench/RESULTS.md')
  }
}

await main()
