// Servers resume abandoned stratification runs by themselves (CASEHUB_STRATIFY_RESUME_INTERVAL),
// with no $stratify call: a run left part-way by a node that died is found once its heartbeat
// is a minute old, claimed by exactly one of two servers on the database and worked to the end,
// one RiskAssessment per registered patient. A run whose heartbeat is fresh, a cancelled run,
// and every run when the interval is 0 are left alone. Closing a server mid-run lets its batch
// commit and releases the run, which the next server resumes at once.
import t from 'tap'
import pg from 'pg'
import type { Patient, Resource } from '@medplum/fhirtypes'
import { loadConfig } from '../../src/config.js'
import { startServer, type RunningServer } from '../../src/server.js'
import { Population } from '../../src/generate/index.js'
import { gpPractices } from '../../src/generate/practices.js'
import { cancelRun, startRun, workRun } from '../../src/casework/stratification/runner.js'
import { practicesFor, thresholdsFor } from '../../src/casework/stratification/service.js'
import { sqlOf } from '../../src/casework/stratification/sql.js'
import { systemContext } from '../../src/store/context.js'
import { createTestDatabase } from '../helpers/test-server.js'

const REGISTERED = 20
const FIRST = { date: '2025-10-15T12:00:00Z', cycle: '2025-10-01' }
const SECOND = { date: '2026-01-15T12:00:00Z', cycle: '2026-01-01' }
const CANCELLED = { date: '2026-04-15T12:00:00Z', cycle: '2026-04-01' }
const PROPOSAL_SYSTEM = 'https://casehub.org/fhir/Id/stratification-proposal'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('abandoned stratification runs resume in the server', async (t) => {
  const url = await createTestDatabase(t)
  const serve = async (interval: string) => {
    const server = await startServer(loadConfig({
      PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: url, CASEHUB_WORKERS: '0',
      CASEHUB_STRATIFY_WORKERS: '1', CASEHUB_STRATIFY_BATCH_SIZE: '1', CASEHUB_STRATIFY_RESUME_INTERVAL: interval,
    }))
    t.teardown(() => server.close())
    return server
  }
  const db = new pg.Client({ connectionString: url })
  await db.connect()
  t.teardown(() => db.end())
  const runOf = async (cycle: string) => (await db.query(`SELECT * FROM stratification_run WHERE cycle = $1`, [cycle])).rows[0]
  const assessments = async (cycle: string) => (await db.query(
    `SELECT content #>> '{subject,reference}' AS subject, count(*)::int AS n FROM resource
      WHERE resource_type = 'RiskAssessment' AND NOT deleted AND content #>> '{identifier,0,value}' LIKE $1 GROUP BY 1`,
    [`${cycle}/Patient/%`])).rows as { subject: string; n: number }[]
  const until = async (what: string, ok: () => Promise<boolean>, ms = 30_000) => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(25)) if (await ok()) return
    throw new Error(`timed out waiting until ${what}`)
  }

  // A small population, all registered with Trafford practices (the default service practices).
  const a = await serve('0')
  const population = new Population('stratify-resume')
  const trafford = new Set(gpPractices().filter((p) => p.borough === 'Trafford').map((p) => `Organization/${p.id}`))
  const resources: Resource[] = [...population.organizations()]
  const registered: string[] = []
  while (registered.length < REGISTERED) {
    const record = population.next()
    const patient = record[0] as Patient
    if (!trafford.has(patient.generalPractitioner?.[0]?.reference ?? '')) continue
    resources.push(...record)
    if (patient.active !== false && !patient.deceasedBoolean && !patient.deceasedDateTime) registered.push(patient.id!)
  }
  const loaded = await fetch(`${a.url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })) }),
  })
  t.equal(loaded.status, 200, 'population loaded')

  /** A run as a node leaves it when it dies after its first batch: running, held by that node. */
  async function abandoned(server: RunningServer, date: string, heartbeat: 'stale' | 'fresh') {
    const store = server.db.store(systemContext('test'))
    const runs = { store, sql: sqlOf(store) }
    const { thresholds } = await thresholdsFor(store, {})
    const { run } = await startRun(runs, new Date(date), 3, { practiceOdsCodes: await practicesFor(store, loadConfig({}).stratify), proposalTier: 'moderate', thresholds })
    const stop = new AbortController()
    const left = await workRun(run.id, { ...runs, baseUrl: server.url, node: 'gone', cycleMonths: 3, workers: 1, batchSize: 4, signal: stop.signal, onBatch: () => stop.abort() })
    await db.query(`UPDATE stratification_run SET locked_by = 'gone', heartbeat_at = now() - $2::interval WHERE id = $1`, [run.id, heartbeat === 'stale' ? '61 seconds' : '0 seconds'])
    return left!
  }

  await t.test('set-up: runs left part-way, and a cancelled one', async (t) => {
    const first = await abandoned(a, FIRST.date, 'stale')
    t.match(first, { status: 'running', locked_by: null, processed: 4, total: REGISTERED }, 'an aborted worker stops after its batch and releases the run')
    t.equal((await assessments(FIRST.cycle)).length, 4, 'only the committed batch is written')
    await abandoned(a, SECOND.date, 'fresh')
    const { run } = await startRun({ store: a.db.store(systemContext('test')), sql: a.db.pool }, new Date(CANCELLED.date), 3, { practiceOdsCodes: [], proposalTier: 'moderate', thresholds: {} })
    await cancelRun({ store: a.db.store(systemContext('test')), sql: a.db.pool }, run.id)
    await db.query(`UPDATE stratification_run SET heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [run.id])
  })

  await t.test('with the interval 0, nothing is resumed', async (t) => {
    const before = await runOf(FIRST.cycle)
    await sleep(3000)
    t.match(await runOf(FIRST.cycle), { status: 'running', locked_by: 'gone', processed: before.processed })
    await a.close()
  })

  await t.test('a stale run is resumed to the end by exactly one of two servers', async (t) => {
    const servers = await Promise.all([serve('1'), serve('1')])
    const holders = new Set<string>()
    await until('the run is completed', async () => {
      const run = await runOf(FIRST.cycle)
      if (run.locked_by && run.locked_by !== 'gone') holders.add(run.locked_by)
      return run.status === 'completed'
    })
    t.equal(holders.size, 1, `one node worked it (${[...holders]})`)
    t.match([...holders][0], /^resumer-\d+-/)
    const run = await runOf(FIRST.cycle)
    t.match(run, { status: 'completed', total: REGISTERED, processed: REGISTERED, assessed: REGISTERED, already: 0, locked_by: null })
    t.equal(Object.values(run.tiers as Record<string, number>).reduce((n, v) => n + v, 0), REGISTERED, 'the tiers add up')
    const written = await assessments(FIRST.cycle)
    t.same(written.map((r) => r.subject).sort(), registered.map((id) => `Patient/${id}`).sort(), 'every registered patient assessed')
    t.ok(written.every((r) => r.n === 1), 'exactly one RiskAssessment each')
    const proposals = (await db.query(`SELECT count(*)::int AS n FROM resource, json_array_elements(content::json -> 'identifier') i
      WHERE resource_type = 'Task' AND NOT deleted AND i ->> 'system' = $1 AND i ->> 'value' LIKE $2`, [PROPOSAL_SYSTEM, `${FIRST.cycle}/%`])).rows[0].n
    t.equal(run.proposals, proposals, 'the proposals counted are the proposal Tasks written')

    t.match(await runOf(SECOND.cycle), { status: 'running', locked_by: 'gone', processed: 4 }, 'a run with a fresh heartbeat is not taken')

    await db.query(`UPDATE stratification_run SET heartbeat_at = now() - interval '61 seconds' WHERE cycle = $1`, [SECOND.cycle])
    await until('a batch of the second run is resumed', async () => (await runOf(SECOND.cycle)).processed > 4)
    const closing = Date.now()
    await Promise.all(servers.map((s) => s.close()))
    t.ok(Date.now() - closing < 15_000, `the servers closed in ${Date.now() - closing} ms`)
    const left = await runOf(SECOND.cycle)
    t.match(left, { status: 'running', locked_by: null, heartbeat_at: null }, 'closing released the run part-way')
    t.ok(left.processed < REGISTERED, `part-way (${left.processed} of ${REGISTERED})`)
    t.equal((await assessments(SECOND.cycle)).length, left.processed, 'its batches committed, none half-written')
  })

  await t.test('a released run is resumed by the next server; a cancelled one never', async (t) => {
    await serve('1')
    await until('the second run is completed', async () => (await runOf(SECOND.cycle)).status === 'completed')
    t.match(await runOf(SECOND.cycle), { processed: REGISTERED, assessed: REGISTERED, already: 0 })
    const written = await assessments(SECOND.cycle)
    t.equal(written.length, REGISTERED)
    t.ok(written.every((r) => r.n === 1), 'exactly one RiskAssessment each')
    t.match(await runOf(CANCELLED.cycle), { status: 'cancelled', processed: 0, locked_by: null })
    t.same(await assessments(CANCELLED.cycle), [])
  })
})
