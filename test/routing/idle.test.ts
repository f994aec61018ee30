// An idle outbox worker waits for NOTIFY or its poll interval; it does not spin on an empty outbox.
import t from 'tap'
import { OutboxWorker } from '../../src/routing/worker.js'
import { NEXT_DUE } from '../../src/routing/sql.js'
import { onwardReferral, outboxRows, seedDestination, startHub, startReceiver } from './helpers.js'

t.test('an empty outbox has no next due time', async (t) => {
  const hub = await startHub(t, false)
  const { rows } = await hub.server.db.pool.query(NEXT_DUE, [60_000])
  t.equal(rows[0].ms, null)
})

t.test('a row claimed by a worker is next due when its claim lapses, not at once', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t, false)
  await seedDestination(hub, receiver.url)
  await hub.post(onwardReferral())
  t.equal((await outboxRows(hub)).length, 1)
  const due = async () => (await hub.server.db.pool.query(NEXT_DUE, [60_000])).rows[0].ms as number
  t.ok((await due()) <= 0, 'unclaimed: due now')
  // a delivery in flight, or a worker that died holding the row
  await hub.server.db.pool.query(`UPDATE outbox SET locked_by = 'busy-worker', locked_at = now()`)
  const ms = await due()
  t.ok(ms > 55_000 && ms <= 60_000, `claimed: due when the claim lapses (${Math.round(ms)} ms)`)
})

t.test('an idle worker queries the database about once per poll interval', async (t) => {
  const hub = await startHub(t, false)
  const w = new OutboxWorker(hub.server.db, { pollMs: 500 })
  t.teardown(() => w.stop())
  await w.start()
  let checkouts = 0
  const count = () => checkouts++
  hub.server.db.pool.on('acquire', count)
  await new Promise((resolve) => setTimeout(resolve, 1200))
  hub.server.db.pool.off('acquire', count)
  // a claim and a next-due query per wake: about 5 in 1.2 s; polling every 5 ms would be ~400
  t.ok(checkouts <= 12, `${checkouts} pool checkouts in 1.2 s`)
})
