// `casehub generate` then `casehub load`: the generated NDJSON goes into the database as it is.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import t from 'tap'
import { runCasehub } from '../helpers/cli.js'
import { createTestDatabase, installedKeys } from '../helpers/test-server.js'


const run = runCasehub

t.test('generate a small population and load it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'casehub-generate-load-'))
  const generated = await run(['generate', '--patients', '25', '--seed', 'load', '--out', dir])
  t.equal(generated.code, 0, generated.stderr)
  t.match(generated.stdout, /generated 25 patients, [\d,]+ resources/)
  t.match(generated.stdout, /Patient\s+25\b/, 'summary per type')
  t.match(generated.stderr, /resources · [\d,]+\/s · 100%/, 'progress line on stderr')

  const expected = new Map<string, number>()
  for (const f of readdirSync(dir)) {
    const n = readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length
    if (n) expected.set(f.replace(/\.ndjson$/, ''), n)
  }
  const total = [...expected.values()].reduce((a, b) => a + b, 0)

  const url = await createTestDatabase(t)
  const loaded = await run(['load', dir], { DATABASE_URL: url, LOG_LEVEL: 'silent' })
  t.equal(loaded.code, 0, loaded.stderr)
  t.match(loaded.stdout, new RegExp(`loaded ${total} resources from 10 of 10 files`))

  const db = new pg.Client({ connectionString: url })
  await db.connect()
  t.teardown(() => db.end())
  // (the test database may already hold the conformance resources a server installs at start)
  const { rows } = await db.query(
    `SELECT resource_type AS type, count(*)::int AS n FROM resource WHERE (resource_type || '/' || id) <> ALL($1::text[]) GROUP BY resource_type`,
    [installedKeys()],
  )
  t.same(new Map(rows.map((r: { type: string; n: number }) => [r.type, r.n])), expected, 'every resource stored, counts per type as generated')
  const patient = await db.query("SELECT version_id FROM resource WHERE resource_type = 'Patient' AND id = 'p-000001'")
  t.equal(patient.rows[0]?.version_id, '1', 'client-assigned ids kept (update-as-create)')
})

t.test('generate refuses bad arguments', async (t) => {
  const [missing, bad] = await Promise.all([
    run(['generate', '--patients', '5', '--out', tmpdir()]),
    run(['generate', '--patients', 'many', '--seed', '1', '--out', tmpdir()]),
  ])
  t.not(missing.code, 0)
  t.match(missing.stderr, /--seed/)
  t.equal(bad.code, 1)
  t.match(bad.stderr, /--patients must be a whole number/)
})
