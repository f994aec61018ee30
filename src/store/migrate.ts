// Forward-only numbered SQL migrations, each applied once inside its own transaction and
// recorded in casehub_migration. An advisory lock lets several nodes start at once.
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'

const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url))
const MIGRATION_LOCK = 7_374_201

export async function migrate(pool: pg.Pool): Promise<string[]> {
  const files = (await readdir(migrationsDir)).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort()
  const client = await pool.connect()
  const applied: string[] = []
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    await client.query(`CREATE TABLE IF NOT EXISTS casehub_migration (
      id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
    const done = new Set((await client.query('SELECT id FROM casehub_migration')).rows.map((r) => r.id))
    for (const file of files) {
      const id = file.replace(/\.sql$/, '')
      if (done.has(id)) continue
      const sql = await readFile(migrationsDir + file, 'utf8')
      await client.query('BEGIN')
      try {
        await client.query(sql)
        await client.query('INSERT INTO casehub_migration (id) VALUES ($1)', [id])
        await client.query('COMMIT')
      } catch (err) {
        await client.query('ROLLBACK')
        throw new Error(`Migration ${file} failed: ${(err as Error).message}`)
      }
      applied.push(id)
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined)
    client.release()
  }
  return applied
}
