// `casehub load FILE|DIR`: Bundles and NDJSON through the API's code path, with a progress line.
import t from 'tap'
import { mkdtempSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { ROOT, runCasehub } from '../helpers/cli.js'
import { createTestDatabase, installedKeys } from '../helpers/test-server.js'

const SYNTHEA = join(ROOT, '../shared/data/synthea')

const run = runCasehub

t.test('load a directory of Bundles and an NDJSON file', async (t) => {
  const url = await createTestDatabase(t)
  const dir = mkdtempSync(join(tmpdir(), 'casehub-load-'))
  const bundles = readdirSync(SYNTHEA).filter((f) => f.endsWith('.json')).sort().slice(0, 3)
  for (const f of bundles) copyFileSync(join(SYNTHEA, f), join(dir, f))
  const expected = bundles.reduce((n, f) => n + JSON.parse(require_(join(dir, f))).entry.length, 0)
  const lines = Array.from({ length: 1200 }, (_, i) =>
    JSON.stringify({ resourceType: 'Patient', id: `nd-${i}`, identifier: [{ system: 'urn:test', value: String(i) }] }),
  )
  writeFileSync(join(dir, 'patients.ndjson'), lines.join('\n') + '\n')

  const result = await run(['load', dir], { DATABASE_URL: url, LOG_LEVEL: 'silent' })
  t.equal(result.code, 0, result.stderr)
  t.match(result.stdout, new RegExp(`loaded ${expected + 1200} resources from 4 of 4 files`))
  t.match(result.stderr, /resources · [\d,]+\/s · 100%/, 'prints a progress line with count, rate and completion')

  const db = new pg.Client({ connectionString: url })
  await db.connect()
  t.teardown(() => db.end())
  // (not counting the conformance resources the test database starts with)
  const { rows } = await db.query(`SELECT count(*)::int AS n FROM resource WHERE (resource_type || '/' || id) <> ALL($1::text[])`, [installedKeys()])
  t.equal(rows[0].n, expected + 1200)
  const nd = await db.query("SELECT version_id FROM resource WHERE resource_type = 'Patient' AND id = 'nd-7'")
  t.equal(nd.rows[0].version_id, '1', 'NDJSON resources keep their ids')

  const again = await run(['load', join(dir, 'patients.ndjson')], { DATABASE_URL: url, LOG_LEVEL: 'silent' })
  t.equal(again.code, 0)
  const v2 = await db.query("SELECT version_id FROM resource WHERE resource_type = 'Patient' AND id = 'nd-7'")
  t.equal(v2.rows[0].version_id, '2', 'reloading NDJSON updates in place')
})

t.test('a bad file is reported and the exit code says so', async (t) => {
  const url = await createTestDatabase(t)
  const dir = mkdtempSync(join(tmpdir(), 'casehub-load-bad-'))
  writeFileSync(join(dir, 'bad.ndjson'), '{"resourceType":"Patient"}\n{"resourceType":"Patient","gender":"robot"}\n')
  const result = await run(['load', dir], { DATABASE_URL: url, LOG_LEVEL: 'silent' })
  t.equal(result.code, 1)
  t.match(result.stderr, /failed: .*bad\.ndjson/)
  t.match(result.stderr, /gender/)
})

function require_(path: string) {
  return readFileSyncUtf8(path)
}
import { readFileSync } from 'node:fs'
const readFileSyncUtf8 = (p: string) => readFileSync(p, 'utf8')
