// A real CaseHub server on an ephemeral loopback port, over its own database cloned from the
// migrated template (see run-tests.ts). Teardown closes the server and drops the database.
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { Client } from 'fhir-kit-client'
import { loadConfig, type Config } from '../../src/config.js'
import { startServer, type RunningServer } from '../../src/server.js'
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres.js'
import { migrate } from '../../src/store/migrate.js'
import { readConformanceFiles } from '../../src/fhir/conformance/install.js'
import { fileURLToPath } from 'node:url'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface TestServer {
  server: RunningServer
  /** http://127.0.0.1:PORT/fhir */
  url: string
  client: InstanceType<typeof Client>
  /** rows in a store table, to prove that nothing (or exactly something) was written; the
   *  conformance resources installed at start (profiles/, terminology/) are not counted */
  rows(table?: 'resource' | 'resource_history'): Promise<number>
  /** fetch relative to the FHIR base */
  fetch(path: string, init?: RequestInit): Promise<Response>
}

export const CONFORMANCE_DIRS = ['../../profiles/', '../../terminology/', '../../rules/'].map((d) => fileURLToPath(new URL(d, import.meta.url)))

/** Type/id of every resource the server installs from profiles/ and terminology/ at start. */
export function installedKeys(): string[] {
  return readConformanceFiles(CONFORMANCE_DIRS).map(({ resource }) => `${resource.resourceType}/${resource.id}`)
}

let ownCluster: Promise<{ adminUrl: string; template: string }> | undefined

/** The run's cluster and template; a file run on its own (npx tap file) starts its own. */
async function cluster() {
  if (process.env.CASEHUB_TEST_ADMIN_URL && process.env.CASEHUB_TEST_TEMPLATE) {
    return { adminUrl: process.env.CASEHUB_TEST_ADMIN_URL, template: process.env.CASEHUB_TEST_TEMPLATE }
  }
  ownCluster ??= (async () => {
    const embedded = await startEmbeddedPostgres(mkdtempSync(join(tmpdir(), 'casehub-test-')), { persistent: false })
    process.once('exit', () => void embedded.stop())
    const pool = new pg.Pool({ connectionString: embedded.url, max: 1 })
    await migrate(pool)
    await pool.end()
    const admin = new URL(embedded.url)
    admin.pathname = '/postgres'
    return { adminUrl: admin.toString(), template: 'casehub' }
  })()
  return ownCluster
}

export async function createTestDatabase(t: Teardown): Promise<string> {
  const { adminUrl, template } = await cluster()
  const name = `t_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`)
  await admin.end()
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: adminUrl })
    await c.connect()
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await c.end()
  })
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

export async function startTestServer(t: Teardown, env: Record<string, string> = {}): Promise<TestServer> {
  const databaseUrl = await createTestDatabase(t)
  const config: Config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', ...env, DATABASE_URL: databaseUrl })
  const server = await startServer(config)
  t.teardown(() => server.close())
  const url = server.url
  return {
    server,
    url,
    client: new Client({ baseUrl: url }),
    async rows(table = 'resource') {
      const { rows } = await server.db.pool.query(
        `SELECT count(*)::int AS n FROM ${table} WHERE (resource_type || '/' || id) <> ALL($1::text[])`,
        [installedKeys()],
      )
      return rows[0].n
    },
    fetch: (path, init) => fetch(`${url}/${path.replace(/^\//, '')}`, init),
  }
}

/** An $operation by GET (no body) or POST (a Parameters or resource body), with its JSON answer. */
export async function callOperation(hub: TestServer, path: string, body?: object): Promise<{ status: number; body: any }> {
  const res = await hub.fetch(path, {
    method: body ? 'POST' : 'GET',
    headers: body ? { 'content-type': 'application/fhir+json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  })
  return { status: res.status, body: await res.json() }
}
