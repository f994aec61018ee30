// Status back (issue 6 "the receiver updates the Task on CaseHub (PUT/PATCH Task/{id}) … the
// referrer can see the onward Task's status"): the receiving service finds CaseHub's tracking
// Task by the identifier its own copy carries, moves it on with fhir-kit-client, and the
// referrer reads the onward referral's status by searching Task?focus=ServiceRequest/X.
import t from 'tap'
import { Client } from 'fhir-kit-client'
import type { Task } from '@medplum/fhirtypes'
import { onwardReferral, outboxRows, seedDestination, startHub, startReceiver, trackingTask, until } from './helpers.js'

const ONWARD_TASK_ID = 'https://casehub.org/fhir/Id/onward-task'

t.test('the receiver moves the tracking Task on; the referrer reads the onward status', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t)
  await seedDestination(hub, receiver.url)
  const sr = await hub.post(onwardReferral())
  await until(async () => (await outboxRows(hub))[0]?.status === 'delivered', 10_000, 'delivery')
  await until(async () => (await trackingTask(hub, sr.id))?.status === 'received', 5000, 'received')

  // The receiver's copy of the Task names CaseHub's tracking Task by identifier.
  const delivered = receiver.requests[0].entry!.find((e) => e.resource?.resourceType === 'Task')!.resource as Task
  const trackingId = delivered.identifier!.find((i) => i.system === ONWARD_TASK_ID)!.value!
  const asReceiver = new Client({ baseUrl: hub.url })

  // accepted, by JSON Patch (the receiver's triage) …
  await asReceiver.patch({
    resourceType: 'Task',
    id: trackingId,
    jsonPatch: [
      { op: 'replace', path: '/status', value: 'accepted' },
      { op: 'add', path: '/businessStatus', value: { text: 'Accepted by the social prescribing team' } },
    ],
  } as never)
  const asReferrer = new Client({ baseUrl: hub.url })
  const seen = (await asReferrer.search({ resourceType: 'Task', searchParams: { focus: `ServiceRequest/${sr.id}` } })) as any
  t.equal(seen.entry.length, 1)
  t.match(seen.entry[0].resource, { id: trackingId, status: 'accepted', businessStatus: { text: 'Accepted by the social prescribing team' } })

  // … then completed, by PUT with If-Match on the version it read
  const current = (await asReceiver.read({ resourceType: 'Task', id: trackingId })) as unknown as Task
  await asReceiver.update({
    resourceType: 'Task',
    id: trackingId,
    body: { ...current, status: 'completed', output: [...(current.output ?? []), { type: { text: 'Outcome' }, valueString: 'Joined a walking group' }] },
    options: { headers: { 'If-Match': `W/"${current.meta!.versionId}"` } },
  } as never)

  // the referrer sees it, whichever way it asks
  const byFocus = (await asReferrer.search({ resourceType: 'Task', searchParams: { focus: `ServiceRequest/${sr.id}`, status: 'completed' } })) as any
  t.equal(byFocus.entry?.length, 1, 'Task?focus=ServiceRequest/X&status=completed')
  const withTasks = (await asReferrer.search({ resourceType: 'ServiceRequest', searchParams: { _id: sr.id, _revinclude: 'Task:focus' } })) as any
  t.match(withTasks.entry.find((e: any) => e.resource.resourceType === 'Task').resource, { status: 'completed', output: [{ valueString: /^Task\// }, { valueString: 'Joined a walking group' }] })

  // a later delivery result may not undo the receiver's progress (the tracker leaves it alone)
  const history = (await asReferrer.history({ resourceType: 'Task', id: trackingId } as never)) as any
  t.same(history.entry.map((e: any) => e.resource.status), ['completed', 'accepted', 'received', 'requested'], 'every step in the history')
})
