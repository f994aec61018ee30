// Concurrent writers over real HTTP: version-aware updates (http.html#concurrency) never lose
// an update, and identical conditional creates / updates (http.html#ccreate, #cond-update,
// #transaction) never create duplicates.
//
// Every request of a round is sent at once with fetch. To make the requests meet inside the
// database rather than one after another, the test holds a SHARE ROW EXCLUSIVE lock on the
// resource table (reads pass, writes wait) until every pooled connection of the server is
// blocked, then lets them all go together.
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import t from 'tap'
import { startTestServer, type TestServer } from '../helpers/test-server.js'

const NHS = 'https://fhir.nhs.uk/Id/nhs-number'
const POOL_SIZE = 10
const start = (t: Parameters<typeof startTestServer>[0]) => startTestServer(t, { CASEHUB_DB_POOL_SIZE: String(POOL_SIZE) })

const fhirJson = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { 'content-type': 'application/fhir+json', ...headers },
  body: JSON.stringify(body),
})

interface Answer {
  status: number
  body: any
  etag: string | null
}

/**
 * Fires every request at once and waits for all of them. Writes to the resource table are held
 * back until every pooled connection is waiting on a lock (or 5 s have passed), then released.
 */
async function all(hub: TestServer, requests: Array<[string, RequestInit]>): Promise<Answer[]> {
  const gate = new pg.Client({ connectionString: hub.server.db.url })
  // A second connection watches: inside the gate's transaction pg_stat_activity would not change.
  const watch = new pg.Client({ connectionString: hub.server.db.url })
  await gate.connect()
  await watch.connect()
  let answers: Promise<Answer[]> | undefined
  try {
    await gate.query('BEGIN')
    await gate.query('LOCK TABLE resource IN SHARE ROW EXCLUSIVE MODE')
    answers = Promise.all(
      requests.map(async ([path, init]) => {
        const res = await hub.fetch(path, init)
        const text = await res.text()
        return { status: res.status, body: text ? JSON.parse(text) : undefined, etag: res.headers.get('etag') }
      }),
    )
    const waiting = Math.min(POOL_SIZE, requests.length)
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(10)) {
      const { rows } = await watch.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      )
      if (rows[0].n >= waiting) break
    }
  } finally {
    await gate.query('COMMIT').catch(() => undefined)
    await gate.end()
    await watch.end()
  }
  return answers!
}

const tally = (answers: Answer[]) =>
  answers.reduce<Record<number, number>>((acc, a) => ({ ...acc, [a.status]: (acc[a.status] ?? 0) + 1 }), {})

/** Current resources (not deleted) of a type carrying system|value, straight from the store. */
async function storedWithIdentifier(hub: TestServer, type: string, system: string, value: string): Promise<string[]> {
  const { rows } = await hub.server.db.pool.query(
    `SELECT id FROM resource WHERE resource_type = $1 AND NOT deleted AND content::jsonb -> 'identifier' @> $2::jsonb`,
    [type, JSON.stringify([{ system, value }])],
  )
  return rows.map((r) => r.id as string)
}

async function historyVersions(hub: TestServer, type: string, id: string): Promise<string[]> {
  const { rows } = await hub.server.db.pool.query(
    `SELECT version_id::text AS v FROM resource_history WHERE resource_type = $1 AND id = $2 ORDER BY version_id`,
    [type, id],
  )
  return rows.map((r) => r.v as string)
}

t.test('20 parallel updates with the same If-Match: one wins, 19 get 412, no update is lost (http.html#concurrency)', async (t) => {
  const hub = await start(t)
  const id = 'contended'
  const first = await hub.fetch(`Patient/${id}`, fhirJson('PUT', { resourceType: 'Patient', id, name: [{ family: 'Original' }] }))
  t.equal(first.status, 201)
  await first.arrayBuffer()

  for (const version of [1, 2]) {
    t.test(`round with If-Match: W/"${version}"`, async (t) => {
      const answers = await all(
        hub,
        Array.from({ length: 20 }, (_, i) => [
          `Patient/${id}`,
          fhirJson('PUT', { resourceType: 'Patient', id, name: [{ family: `Writer-${version}-${i}` }] }, { 'if-match': `W/"${version}"` }),
        ]),
      )
      t.same(tally(answers), { 200: 1, 412: 19 }, 'exactly one 200 and nineteen 412')
      for (const a of answers.filter((a) => a.status === 412)) {
        t.equal(a.body?.resourceType, 'OperationOutcome', '412 carries an OperationOutcome')
        t.ok(a.body?.issue?.some((i: any) => i.severity === 'error' && i.diagnostics), '412 outcome has an error with diagnostics')
      }
      const winner = answers.find((a) => a.status === 200)
      t.equal(winner?.etag, `W/"${version + 1}"`)
      t.equal(winner?.body?.meta?.versionId, String(version + 1))

      const current: any = await (await hub.fetch(`Patient/${id}`)).json()
      t.equal(current.meta.versionId, String(version + 1), `the resource is at version ${version + 1}`)
      t.same(current.name, winner?.body?.name, 'the stored content is the winner’s')
      t.same(await historyVersions(hub, 'Patient', id), Array.from({ length: version + 1 }, (_, i) => String(i + 1)))
      const history: any = await (await hub.fetch(`Patient/${id}/_history`)).json()
      t.equal(history.total, version + 1, `_history has exactly ${version + 1} versions`)
    })
  }
})

t.test('20 parallel updates of one new id without If-Match all succeed, in 20 versions (http.html#update)', async (t) => {
  const hub = await start(t)
  const id = 'created-by-update'
  const answers = await all(
    hub,
    Array.from({ length: 20 }, (_, i) => [
      `Patient/${id}`,
      fhirJson('PUT', { resourceType: 'Patient', id, name: [{ family: `Writer-${i}` }] }),
    ]),
  )
  t.same(tally(answers), { 200: 19, 201: 1 }, 'one 201 (the create) and nineteen 200')
  t.same(answers.map((a) => Number(a.body?.meta?.versionId)).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1))
  t.same(await historyVersions(hub, 'Patient', id), Array.from({ length: 20 }, (_, i) => String(i + 1)))
  t.equal(await hub.rows('resource'), 1)
})

t.test('50 simultaneous identical conditional creates store one Patient (http.html#ccreate)', async (t) => {
  const hub = await start(t)
  const value = '9434765919'
  const body = { resourceType: 'Patient', identifier: [{ system: NHS, value }], name: [{ family: 'Concurrent' }] }
  const answers = await all(
    hub,
    Array.from({ length: 50 }, () => ['Patient', fhirJson('POST', body, { 'if-none-exist': `identifier=${NHS}|${value}` })]),
  )
  t.same(tally(answers), { 200: 49, 201: 1 }, 'exactly one 201 and forty-nine 200')
  const ids = new Set(answers.map((a) => a.body?.id))
  t.equal(ids.size, 1, 'every response names the same resource')
  t.same(await storedWithIdentifier(hub, 'Patient', NHS, value), [...ids], 'exactly one Patient with that identifier is stored')
  t.equal(await hub.rows('resource_history'), 1)
})

t.test('50 simultaneous conditional updates with no match create exactly one resource (http.html#cond-update)', async (t) => {
  const hub = await start(t)
  const answers = await all(
    hub,
    Array.from({ length: 50 }, (_, i) => [
      `Patient?identifier=${encodeURIComponent('sys|v')}`,
      fhirJson('PUT', { resourceType: 'Patient', identifier: [{ system: 'sys', value: 'v' }], name: [{ family: `Writer-${i}` }] }),
    ]),
  )
  t.ok(
    answers.every((a) => a.status === 200 || a.status === 201),
    `every response is 200 or 201 (got ${JSON.stringify(tally(answers))})`,
  )
  t.equal(answers.filter((a) => a.status === 201).length, 1, 'exactly one 201')
  const stored = await storedWithIdentifier(hub, 'Patient', 'sys', 'v')
  t.equal(stored.length, 1, 'exactly one Patient with sys|v is stored')
  t.same([...new Set(answers.map((a) => a.body?.id))], stored, 'every response names that Patient')
  t.equal(await hub.rows('resource'), 1)
  t.same(await historyVersions(hub, 'Patient', stored[0]), Array.from({ length: 50 }, (_, i) => String(i + 1)), 'fifty versions, none lost')
})

t.test('20 parallel transactions with the same ifNoneExist create one resource (http.html#transaction, #ccreate)', async (t) => {
  const hub = await start(t)
  const value = '9000000009'
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: 'urn:uuid:6a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
        resource: { resourceType: 'Patient', identifier: [{ system: NHS, value }] },
        request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${NHS}|${value}` },
      },
    ],
  }
  const answers = await all(hub, Array.from({ length: 20 }, () => ['', fhirJson('POST', bundle)]))
  t.same(tally(answers), { 200: 20 }, `every transaction succeeds (got ${JSON.stringify(answers.filter((a) => a.status !== 200).map((a) => a.body))})`)
  const statuses = answers.map((a) => String(a.body?.entry?.[0]?.response?.status ?? '').slice(0, 3))
  t.equal(statuses.filter((s) => s === '201').length, 1, 'exactly one entry was created')
  t.equal(statuses.filter((s) => s === '200').length, 19, 'nineteen entries found the existing one')
  const stored = await storedWithIdentifier(hub, 'Patient', NHS, value)
  t.equal(stored.length, 1, 'exactly one Patient with that identifier is stored')
  const locations = new Set(answers.map((a) => a.body?.entry?.[0]?.response?.location))
  t.same([...locations], [`${hub.url}/Patient/${stored[0]}/_history/1`], 'every response points at that Patient')
  t.equal(await hub.rows('resource'), 1)
})
