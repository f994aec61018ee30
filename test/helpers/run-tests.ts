// `npm test`: one PostgreSQL for the whole run (embedded unless DATABASE_URL is set), a migrated
// template database, then tap. Each test file clones the template into its own database.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres.js'
import { migrate } from '../../src/store/migrate.js'
import { PgResourceStore } from '../../src/store/pg-resource-store.js'
import { systemContext } from '../../src/store/context.js'
import { installConformance } from '../../src/fhir/conformance/install.js'
import { initSearchParameters } from '../../src/fhir/search/parameters.js'
import { initValidation } from '../../src/fhir/validation/index.js'
import { CONFORMANCE_DIRS } from './test-server.js'

const TEMPLATE = 'casehub_test_template'

async function main(): Promise<number> {
  let stop = async () => {}
  let adminUrl = process.env.DATABASE_URL
  if (!adminUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'casehub-test-'))
    const embedded = await startEmbeddedPostgres(dir, { persistent: false })
    adminUrl = embedded.url
    stop = async () => {
      await embedded.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  try {
    await createTemplate(adminUrl)
    return await runTap(process.argv.slice(2), {
      CASEHUB_TEST_ADMIN_URL: adminUrl,
      CASEHUB_TEST_TEMPLATE: TEMPLATE,
    })
  } finally {
    await stop()
  }
}

async function createTemplate(adminUrl: string) {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`)
    await admin.query(`CREATE DATABASE ${TEMPLATE}`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${TEMPLATE}`
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 })
  try {
    await migrate(pool)
    // The conformance resources every server installs at start are in the template already, so
    // each test server finds them current and writes nothing.
    initValidation()
    initSearchParameters()
    const store = new PgResourceStore(pool, systemContext('test-template'))
    await installConformance({ store, baseUrl: 'http://127.0.0.1/fhir', referencePolicy: 'lenient' }, CONFORMANCE_DIRS)
  } finally {
    await pool.end()
  }
}

/** Runs tap, passing its output through, and ends with a plain "N passed, N failed" line. */
function runTap(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['node_modules/tap/dist/esm/run.mjs', ...args], {
      stdio: ['inherit', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    })
    let tail = ''
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk)
      tail = (tail + chunk.toString('utf8')).slice(-4000)
    })
    child.on('exit', (code, signal) => {
      const summary = /# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?/.exec(tail)
      if (summary) process.stdout.write(`\ntests: ${summary[2] ?? 0} passed, ${summary[3] ?? 0} failed\n`)
      resolve(code ?? (signal ? 1 : 0))
    })
  })
}

// Exit with tap's status explicitly: a library stopping the embedded PostgreSQL can leave
// process.exitCode at 0, and CI must see a failed test as a failure.
process.exit(await main())
