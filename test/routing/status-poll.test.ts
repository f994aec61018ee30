// Status back by polling (issue 6 "CaseHub can also poll the receiver's copy"): with
// CASEHUB_STATUS_POLL_MS set, CaseHub reads the receiver's copy of the Task at the location its
// transaction response gave, mirrors the status onto the tracking Task, and stops once final.
import t from 'tap'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { onwardReferral, outboxRows, seedDestination, startHub, trackingTask, until, listenOnLoopback } from './helpers.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** A receiver that keeps one Task copy (Task/77) whose state the test sets. */
async function taskReceiver(t: Teardown) {
  const state = {
    remote: { resourceType: 'Task', id: '77', status: 'received', intent: 'order' } as Record<string, unknown>,
    gets: 0,
    getHeaders: [] as IncomingHttpHeaders[],
    url: '',
  }
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.setHeader('content-type', 'application/fhir+json')
      if (req.method === 'GET' && req.url === '/fhir/Task/77') {
        state.gets++
        state.getHeaders.push(req.headers)
        return res.end(JSON.stringify(state.remote))
      }
      if (req.method === 'POST') {
        return res.end(
          JSON.stringify({
            resourceType: 'Bundle',
            type: 'transaction-response',
            entry: [{ response: { status: '201 Created', location: 'Patient/1/_history/1' } }, { response: { status: '201 Created', location: 'ServiceRequest/5/_history/1' } }, { response: { status: '201 Created', location: 'Task/77/_history/1' } }],
          }),
        )
      }
      res.statusCode = 404
      res.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] }))
    })
  })
  state.url = await listenOnLoopback(t, server)
  return state
}

t.test('the receiver’s Task copy is polled and mirrored until final', async (t) => {
  const receiver = await taskReceiver(t)
  const hub = await startHub(t, undefined, { CASEHUB_STATUS_POLL_MS: '150', CASEHUB_ENDPOINT_SECRETS: JSON.stringify({ rx: 'Bearer poll-token' }) })
  await seedDestination(hub, receiver.url)
  const ep = await hub.json('Endpoint/ep-1')
  await hub.put({ ...ep, extension: [{ url: 'https://casehub.org/fhir/StructureDefinition/casehub-endpoint-secret', valueString: 'rx' }] })
  const sr = await hub.post(onwardReferral())
  await until(async () => (await trackingTask(hub, sr.id))?.status === 'received', 10_000, 'received')
  t.match((await outboxRows(hub))[0], { status: 'delivered', receiver_task: 'Task/77/_history/1' })

  await until(() => receiver.gets >= 1, 10_000, 'first poll')
  t.equal(receiver.getHeaders[0].authorization, 'Bearer poll-token', 'polled with the Endpoint’s secret')

  receiver.remote = { ...receiver.remote, status: 'accepted', businessStatus: { text: 'Booked with a link worker' } }
  const accepted = await until(async () => {
    const x = await trackingTask(hub, sr.id)
    return x.status === 'accepted' && x
  }, 10_000, 'accepted mirrored')
  t.match(accepted.businessStatus, { text: 'Booked with a link worker' })

  receiver.remote = { ...receiver.remote, status: 'completed', businessStatus: { text: 'Seen twice; discharged' } }
  await until(async () => (await trackingTask(hub, sr.id)).status === 'completed', 10_000, 'completed mirrored')
  await until(async () => (await outboxRows(hub))[0].poll_at === null, 5000, 'polling stops when final')
  const gets = receiver.gets
  await new Promise((r) => setTimeout(r, 600))
  t.equal(receiver.gets, gets, 'no more polls')
  const history = await hub.json(`Task/${accepted.id}/_history`)
  t.same(history.entry.map((e: any) => e.resource.status), ['completed', 'accepted', 'received', 'requested'])
})

t.test('without CASEHUB_STATUS_POLL_MS nothing is polled', async (t) => {
  const receiver = await taskReceiver(t)
  const hub = await startHub(t)
  await seedDestination(hub, receiver.url)
  const sr = await hub.post(onwardReferral())
  await until(async () => (await trackingTask(hub, sr.id))?.status === 'received', 10_000, 'received')
  await new Promise((r) => setTimeout(r, 1200))
  t.equal(receiver.gets, 0)
  t.match((await outboxRows(hub))[0], { poll_at: null })
})
