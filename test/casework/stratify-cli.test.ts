// `casehub stratify` as an operator runs it, in a child process, on a generated population loaded
// with `casehub load`: killed after its first committed batch, refused while the killed
// process's heartbeat is fresh, resumed once it is a minute old, with a progress line and a
// summary; afterwards every registered patient has exactly one RiskAssessment for the cycle and
// the run's counts add up. Bad options write nothing.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { generate } from '../../src/generate/index.js'
import { gpPractices } from '../../src/generate/practices.js'
import { ROOT, runCasehub } from '../helpers/cli.js'
import { createTestDatabase } from '../helpers/test-server.js'

const DATE = '2025-12-01T12:00:00Z'
const CYCLE = '2025-10-01'
const PROPOSAL_SYSTEM = 'https://casehub.org/fhir/Id/stratification-proposal'

t.test('casehub stratify: killed, refused, resumed, summarised', async (t) => {
  const url = await createTestDatabase(t)
  const dir = mkdtempSync(join(tmpdir(), 'casehub-stratify-cli-'))
  await generate({ patients: 120, seed: 'stratify-cli', out: dir, progress: null })
  const loaded = await runCasehub(['load', dir], { DATABASE_URL: url, LOG_LEVEL: 'silent' })
  t.equal(loaded.code, 0, loaded.stderr)
  const trafford = new Set(gpPractices().filter((p) => p.borough === 'Trafford').map((p) => `Organization/${p.id}`))
  const registered = readFileSync(join(dir, 'Patient.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    .filter((p) => p.active !== false && !p.deceasedBoolean && !p.deceasedDateTime && trafford.has(p.generalPractitioner?.[0]?.reference))
    .map((p) => p.id as string)

  const db = new pg.Client({ connectionString: url })
  await db.connect()
  t.teardown(() => db.end())
  const runRow = async () => (await db.query(`SELECT * FROM stratification_run WHERE cycle = $1`, [CYCLE])).rows[0]
  const assessments = async () => (await db.query(
    `SELECT content::json #>> '{subject,reference}' AS subject, count(*)::int AS n FROM resource
      WHERE resource_type = 'RiskAssessment' AND NOT deleted GROUP BY 1`)).rows as { subject: string; n: number }[]
  // small batches, so the run has many commits to be killed between
  const env = { DATABASE_URL: url, LOG_LEVEL: 'silent', CASEHUB_STRATIFY_BATCH_SIZE: '4', CASEHUB_STRATIFY_WORKERS: '1' }

  await t.test('bad options are refused before anything is written', async (t) => {
    const tier = await runCasehub(['stratify', '--date', DATE, '--proposal-tier', 'extreme'], env)
    t.equal(tier.code, 1)
    t.match(tier.stderr, /--proposal-tier must be mild, moderate or severe/)
    const date = await runCasehub(['stratify', '--date', 'yesterday'], env)
    t.equal(date.code, 1)
    t.match(date.stderr, /--date must be a date or dateTime/)
    const points = await runCasehub(['stratify', '--date', DATE, '--severe-threshold', 'lots'], env)
    t.equal(points.code, 1)
    t.match(points.stderr, /--severe-threshold must be a whole number of points/)
    t.equal((await db.query('SELECT count(*)::int AS n FROM stratification_run')).rows[0].n, 0, 'no run recorded')
  })

  await t.test('killed after its first committed batch (started with its own thresholds)', async (t) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/casehub.js'), 'stratify', '--date', DATE, '--mild-threshold', '5', '--moderate-threshold', '9', '--severe-threshold', '13'], { env: { ...process.env, ...env } })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
    let run
    for (let i = 0; i < 2400 && !(run?.processed > 0); i++) {
      await new Promise((r) => setTimeout(r, 25))
      run = await runRow()
    }
    child.kill('SIGKILL')
    t.equal(await exited, 'SIGKILL', 'the process was killed, not finished')
    run = await runRow()
    t.equal(run.status, 'running', 'the run is left running, held by the killed process')
    t.equal(run.total, registered.length)
    t.ok(run.processed > 0 && run.processed < run.total, `stopped part-way (${run.processed} of ${run.total})`)
    const written = await assessments()
    t.equal(written.reduce((n, r) => n + r.n, 0), run.processed, 'only committed batches are written, each patient once')
  })

  await t.test('refused while the killed process\'s heartbeat is fresh', async (t) => {
    const before = await runRow()
    const refused = await runCasehub(['stratify', '--date', DATE], env)
    t.equal(refused.code, 1)
    t.match(refused.stderr, /is being worked by cli-\d+; it can be resumed here once that process has been silent for 60 s/)
    t.equal((await runRow()).processed, before.processed, 'nothing more done')
  })

  await t.test('resumed once the heartbeat is a minute old, with progress and a summary', async (t) => {
    const before = await runRow()
    await db.query(`UPDATE stratification_run SET heartbeat_at = now() - interval '61 seconds' WHERE id = $1`, [before.id])
    const resumed = await runCasehub(['stratify', '--date', DATE], env)
    t.equal(resumed.code, 0, resumed.stderr)
    t.match(resumed.stderr, new RegExp(`resuming the stratification of the cycle from ${CYCLE}`))
    t.match(resumed.stderr, /[\d,]+ patients · [\d,]+\/s · 100% · [\d.ms]+ elapsed/, 'a progress line')
    const summary = Object.fromEntries(resumed.stdout.trim().split('\n').map((l) => l.split(': ')))
    t.equal(summary.cycle, CYCLE)
    t.equal(summary.status, 'completed')
    t.equal(Number(summary.registered), registered.length)
    t.equal(Number(summary.processed), registered.length)
    t.equal(Number(summary.assessed), registered.length, 'the killed batch was rolled back and assessed on resumption')
    t.equal(Number(summary.alreadyAssessed), 0)
    const tiers = ['below-threshold', 'mild', 'moderate', 'severe'].reduce((n, tier) => n + Number(summary[tier]), 0)
    t.equal(tiers, registered.length, 'the tiers add up to the patients assessed')
    t.match(summary, { 'mild threshold': '5', 'moderate threshold': '9', 'severe threshold': '13' }, 'the thresholds the run was started with, kept on resumption')

    const written = await assessments()
    t.same(written.map((r) => r.subject).sort(), registered.map((id) => `Patient/${id}`).sort(), 'every registered patient assessed')
    t.ok(written.every((r) => r.n === 1), 'exactly one RiskAssessment each')
    const identifiers = (await db.query(`SELECT count(DISTINCT i ->> 'value')::int AS n FROM resource, json_array_elements(content::json -> 'identifier') i
      WHERE resource_type = 'RiskAssessment' AND i ->> 'value' LIKE $1`, [`${CYCLE}/Patient/%`])).rows[0].n
    t.equal(identifiers, registered.length, 'each identified by cycle and patient')
    const proposals = (await db.query(`SELECT count(*)::int AS n FROM resource, json_array_elements(content::json -> 'identifier') i
      WHERE resource_type = 'Task' AND NOT deleted AND i ->> 'system' = $1`, [PROPOSAL_SYSTEM])).rows[0].n
    t.equal(Number(summary.proposals), proposals, 'the proposals counted are the proposal Tasks written')
  })

  await t.test('run again in the same cycle: nobody is assessed twice', async (t) => {
    const again = await runCasehub(['stratify', '--date', '2025-12-20'], env)
    t.equal(again.code, 0, again.stderr)
    t.match(again.stderr, new RegExp(`starting the stratification of the cycle from ${CYCLE}`))
    t.match(again.stdout, /^assessed: 0$/m)
    t.match(again.stdout, new RegExp(`^alreadyAssessed: ${registered.length}$`, 'm'))
    t.equal((await assessments()).reduce((n, r) => n + r.n, 0), registered.length)
  })
})
