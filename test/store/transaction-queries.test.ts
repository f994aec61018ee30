// Reads issued together inside one transaction (as fetching a patient's record does) share the
// transaction's one connection: each gets its own answer, in the order asked, and pg's
// deprecated queueing of concurrent queries on a client is never used.
import t from 'tap'
import pg from 'pg'
import { PgResourceStore } from '../../src/store/pg-resource-store.js'
import { systemContext } from '../../src/store/context.js'
import { createTestDatabase } from '../helpers/test-server.js'

const sqlOf = (store: unknown) => (store as PgResourceStore).sql

t.test('concurrent queries in a transaction run one after another, in order, without pg deprecation warnings', async (t) => {
  const pool = new pg.Pool({ connectionString: await createTestDatabase(t), max: 2 })
  t.teardown(() => pool.end())
  const warnings: string[] = []
  const onWarning = (w: Error) => warnings.push(w.message)
  process.on('warning', onWarning)
  t.teardown(() => process.off('warning', onWarning))

  const store = new PgResourceStore(pool, systemContext('test'))
  const numbers = await store.transaction(async (tx) =>
    Promise.all(Array.from({ length: 20 }, (_, i) => sqlOf(tx).query('SELECT $1::int AS n, pg_sleep(0.001)', [i]).then((r) => r.rows[0].n as number))),
  )
  t.same(numbers, Array.from({ length: 20 }, (_, i) => i), 'each query gets its own answer')

  // A failed statement aborts the transaction (PostgreSQL): the queries after it fail, and nothing is kept.
  await pool.query('CREATE TABLE probe (n int)')
  const failed = await store.transaction(async (tx) => {
    const sql = sqlOf(tx)
    const writes = [sql.query('INSERT INTO probe VALUES (1)'), sql.query('SELECT 1/0'), sql.query('INSERT INTO probe VALUES (2)')]
    return Promise.allSettled(writes)
  })
  t.same(failed.map((r) => r.status), ['fulfilled', 'rejected', 'rejected'])
  t.match((failed[2] as PromiseRejectedResult).reason.message, /current transaction is aborted/)
  t.equal((await pool.query('SELECT count(*)::int AS n FROM probe')).rows[0].n, 0)
  await new Promise((r) => setImmediate(r))
  t.same(warnings.filter((w) => /already executing a query/.test(w)), [], 'no "already executing a query" deprecation')
})
