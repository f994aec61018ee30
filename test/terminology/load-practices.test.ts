// `casehub load-practices`: the GP practices of Trafford and Manchester as Organizations, through
// the same write path as `casehub load`; idempotent; --out writes a transaction Bundle instead.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import t from 'tap'
import { runCasehub } from '../helpers/cli.js'
import { createTestDatabase } from '../helpers/test-server.js'

const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code'

t.test('loads every practice once, and again leaves one current version each', async (t) => {
  const url = await createTestDatabase(t)
  const env = { DATABASE_URL: url, LOG_LEVEL: 'silent' }
  const first = await runCasehub(['load-practices'], env)
  t.equal(first.code, 0, first.stderr)
  const m = /loaded (\d+) GP practices as Organizations \(Trafford (\d+), Manchester (\d+)\)/.exec(first.stdout)
  t.ok(m, first.stdout)
  const [total, trafford, manchester] = m!.slice(1).map(Number)
  t.equal(total, trafford + manchester)
  t.ok(trafford > 10 && manchester > 50, 'both boroughs')
  t.match(first.stderr, /practices · [\d,]+\/s · 100%/, 'a progress line')

  const db = new pg.Client({ connectionString: url })
  await db.connect()
  t.teardown(() => db.end())
  const count = async () => (await db.query("SELECT count(*)::int AS n FROM resource WHERE resource_type = 'Organization' AND NOT deleted")).rows[0].n
  t.equal(await count(), total)
  const row = (await db.query("SELECT version_id, content FROM resource WHERE resource_type = 'Organization' AND id = 'gp-P91003'")).rows[0]
  t.equal(row.version_id, '1')
  const org = typeof row.content === 'string' ? JSON.parse(row.content) : row.content
  t.match(org ?? {}, { identifier: [{ system: ODS, value: 'P91003' }], name: 'PARK MEDICAL PRACTICE' })

  const again = await runCasehub(['load-practices'], env)
  t.equal(again.code, 0, again.stderr)
  t.equal(await count(), total, 'no duplicates')
  const v2 = (await db.query("SELECT version_id FROM resource WHERE resource_type = 'Organization' AND id = 'gp-P91003'")).rows[0]
  t.equal(v2.version_id, '2', 'update-as-create with the stable id replaces the current version')
})

t.test('--out writes a transaction Bundle without a database', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'casehub-practices-')), 'practices.json')
  const result = await runCasehub(['load-practices', '--out', file], { DATABASE_URL: 'postgres://127.0.0.1:1/none', LOG_LEVEL: 'silent' })
  t.equal(result.code, 0, result.stderr)
  t.match(result.stdout, /GP practices as Organizations/)
  const bundle = JSON.parse(readFileSync(file, 'utf8'))
  t.equal(bundle.type, 'transaction')
  t.ok(bundle.entry.length > 60)
  const bad = bundle.entry.filter((e: any) => e.request.method !== 'PUT' || e.request.url !== `Organization/gp-${e.resource.identifier[0].value}`)
  t.same(bad, [], 'every entry is PUT Organization/gp-<ODS>')
})
