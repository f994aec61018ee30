// A benchmark database holding a generated population: an embedded PostgreSQL, a database in it,
// migrated, and `casehub generate` loaded with `casehub load` in a child process (the way an
// operator loads data). With `keepDir`, the cluster lives there and a later run reuses the
// loaded database instead of generating and loading again.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { generate } from '../src/generate/index.js'
import { startEmbeddedPostgres } from '../src/store/embedded-postgres.js'
import { migrate } from '../src/store/migrate.js'

const rootDir = join(dirname(fileURLToPath(import.meta.url)), '..')

export interface PopulationOptions {
  patients: number
  seed: string
  /** database name inside the cluster */
  database: string
  keepDir?: string
  log: (line: string) => void
}

export interface PopulationDb {
  url: string
  pgVersion: string
  /** what was loaded, for the report: "2,000 patients, 100,891 resources, loaded in 27 s" or "reused" */
  loaded: string
  stop(): Promise<void>
}

export async function populationDb(opts: PopulationOptions): Promise<PopulationDb> {
  const temp = mkdtempSync(join(os.tmpdir(), 'casehub-bench-population-'))
  const reuse = opts.keepDir !== undefined && existsSync(join(opts.keepDir, 'pg', 'PG_VERSION'))
  if (opts.keepDir) mkdirSync(opts.keepDir, { recursive: true, mode: 0o777 })
  // its own directory: startEmbeddedPostgres opens it to the unprivileged postgres user
  const pgDir = opts.keepDir ?? mkdtempSync(join(os.tmpdir(), 'casehub-bench-pg-'))
  const embedded = await startEmbeddedPostgres(pgDir, { persistent: opts.keepDir !== undefined })
  const stop = async () => {
    await embedded.stop().catch(() => undefined)
    rmSync(temp, { recursive: true, force: true })
    if (!opts.keepDir) rmSync(pgDir, { recursive: true, force: true })
    else opts.log(`database kept in ${opts.keepDir} (BENCH_DATA_DIR); delete it to start afresh`)
  }
  try {
    const url = new URL(embedded.url)
    const admin = new pg.Client({ connectionString: url.toString() })
    await admin.connect()
    const pgVersion = (await admin.query('SELECT version() AS v')).rows[0].v as string
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database])).rowCount === 1
    if (!exists) await admin.query(`CREATE DATABASE ${opts.database}`)
    await admin.end()
    url.pathname = `/${opts.database}`
    const pool = new pg.Pool({ connectionString: url.toString(), max: 1 })
    await migrate(pool)
    let loaded = `reused from BENCH_DATA_DIR (\`casehub generate --patients ${opts.patients} --seed ${opts.seed}\` loaded by an earlier run)`
    if (!(reuse && exists)) {
      const out = join(temp, 'population')
      opts.log(`generating ${opts.patients} patients (seed ${opts.seed})`)
      const generated = await generate({ patients: opts.patients, seed: opts.seed, out, progress: null })
      opts.log(`loading ${generated.resources} resources with casehub load`)
      const started = Date.now()
      await load(out, url.toString())
      await pool.query('VACUUM ANALYZE')
      loaded = `\`casehub generate --patients ${opts.patients} --seed ${opts.seed}\`, ${generated.resources.toLocaleString('en-GB')} resources, loaded in ${Math.round((Date.now() - started) / 1000)} s`
    }
    await pool.end()
    return { url: url.toString(), pgVersion, loaded, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

function load(dir: string, databaseUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(rootDir, 'bin/casehub.js'), 'load', dir], {
      cwd: rootDir,
      env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)))
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`casehub load failed (${code}):\n${stderr}`))))
  })
}
