// The live Subscriptions each process keeps in memory: writes of types nobody watches skip the
// hook, and a Subscription written by another process is seen (LISTEN), not missed.
import t from 'tap'
import { LiveSubscriptions, concernsAny } from '../../src/subscriptions/active.js'
import { systemContext } from '../../src/store/context.js'
import { until } from '../routing/helpers.js'
import { notificationRows, startSubscriptionHub, subscription } from './helpers.js'

const ENDPOINT = 'http://127.0.0.1:9/hooks'

t.test('types no Subscription watches are not concerned; a new Subscription is seen at once', async (t) => {
  const hub = await startSubscriptionHub(t)
  await hub.post({ resourceType: 'Patient', name: [{ family: 'First' }] } as any) // loads the cache (in the background)
  await until(() => !concernsAny('Patient'), 5000, 'the cache loaded')
  t.equal(concernsAny('Patient'), false, 'no Subscriptions: Patient writes skip the hook')
  t.equal(concernsAny('Task'), false)
  await hub.post(subscription(ENDPOINT, 'Task?status=requested'))
  // Dropped after the Subscription's commit; the next write reloads it.
  await hub.post({ resourceType: 'Task', status: 'requested', intent: 'order' } as any)
  t.equal((await notificationRows(hub)).length, 1, 'the first Task after the Subscription is notified')
  t.equal(concernsAny('Task'), true)
  // the cache is reloaded in the background after the change
  await until(() => !concernsAny('Patient'), 5000, 'the cache reloaded')
  t.equal(concernsAny('Patient'), false, 'still nothing for Patient')
  t.equal(concernsAny('Task'), true, 'and the Task Subscription is in it')
})

t.test('a cache in another process hears of Subscription changes over LISTEN', async (t) => {
  const hub = await startSubscriptionHub(t)
  // Stands for another CaseHub process over the same database: its own cache and LISTEN connection.
  const other = new LiveSubscriptions(hub.server.db)
  await other.start()
  t.teardown(() => other.stop())
  const store = hub.server.db.store(systemContext('test'))
  t.same(await other.forType('Task', store), [])
  await until(() => !other.concerns('Task'), 5000, 'the cache loaded')
  t.equal(other.concerns('Task'), false)
  const sub = await hub.post(subscription(ENDPOINT, 'Task?status=requested'))
  await until(() => other.concerns('Task'), 5000, 'invalidated by NOTIFY')
  t.match(await other.forType('Task', store), [{ id: sub.id, type: 'Task', query: { status: ['requested'] } }])
  await hub.put({ ...sub, status: 'off' })
  await until(async () => (await other.forType('Task', store)).length === 0, 5000, 'off is seen too')
  t.pass('an off Subscription is no longer live')
})
