// An idle outbox worker waits for NOTIFY or its poll interval; it does not spin on an empty outbox.
import t from 'tap'
import { OutboxWorker } from '../../src/routing/worker.js'
import { NEXT_DUE } from '../../src/routing/sql.js'
import { startHub } from './helpers.js'

t.test('an empty outbox has no next due time', async (t) => {
  const hub = await startHub(t, false)
  const { rows } = await hub.server.db.pool.query(NEXT_DUE)
  t.equal(rows[0].ms, null)
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
