// The outbox row commits with the referral or not at all (issue 6; STYLE.md walk-through step 5).
import t from 'tap'
import { onWrite } from '../../src/fhir/write-hooks.js'
import { enqueue } from '../../src/routing/enqueue.js'
import { systemContext } from '../../src/store/context.js'
import { onwardReferral, outboxRows, seedDestination, startHub, startReceiver } from './helpers.js'

t.test('a transaction that rolls back enqueues nothing', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t)
  await seedDestination(hub, receiver.url)
  const before = (await hub.server.db.pool.query(`SELECT count(*)::int AS n FROM resource WHERE resource_type IN ('ServiceRequest', 'Task')`)).rows[0].n

  // 1. enqueue inside a transaction that then fails
  const store = hub.server.db.store(systemContext('test'))
  await t.rejects(
    store.transaction(async (tx) => {
      await enqueue(tx, { endpointId: 'ep-1', payload: { type: 'ServiceRequest', id: 'nope' } })
      throw new Error('boom')
    }),
  )
  t.equal((await outboxRows(hub)).length, 0)

  // 2. a referral whose transaction fails after the onward hook has enqueued (a later hook throws)
  onWrite('ServiceRequest', {
    name: 'test-fails-late',
    async created() {
      throw new Error('a later hook refuses')
    },
  })
  t.teardown(() => onWrite('ServiceRequest', { name: 'test-fails-late' }))
  const res = await hub.fetch('ServiceRequest', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(onwardReferral()) })
  t.ok(res.status >= 400, `refused (${res.status})`)
  onWrite('ServiceRequest', { name: 'test-fails-late' })

  // 3. a transaction Bundle with the referral and an entry that fails
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: onwardReferral(), request: { method: 'POST', url: 'ServiceRequest' } },
      { resource: { resourceType: 'Patient', id: 'other' }, request: { method: 'PUT', url: 'Patient/mismatch' } },
    ],
  }
  const res2 = await hub.fetch('', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(bundle) })
  t.ok(res2.status >= 400, `transaction refused (${res2.status})`)

  t.equal((await outboxRows(hub)).length, 0, 'no outbox row')
  const after = (await hub.server.db.pool.query(`SELECT count(*)::int AS n FROM resource WHERE resource_type IN ('ServiceRequest', 'Task')`)).rows[0].n
  t.equal(after, before, 'no referral, no tracking Task')
  await new Promise((r) => setTimeout(r, 300))
  t.equal(receiver.requests.length, 0, 'nothing delivered')

  // and the same referral in a transaction that succeeds is enqueued with it
  const ok = await hub.fetch('', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ ...bundle, entry: [bundle.entry[0]] }) })
  t.equal(ok.status, 200)
  t.equal((await outboxRows(hub)).length, 1)
})
