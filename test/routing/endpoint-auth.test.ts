// Endpoint auth secrets by reference (issue 6): an Endpoint names a secret held in configuration;
// the secret goes out as the Authorization header and is never stored or logged; an
// Authorization header in clear on an Endpoint is refused.
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../../src/config.js'
import { OutboxWorker } from '../../src/routing/worker.js'
import { FAST, onwardReferral, outboxRows, seedDestination, startHub, startReceiver, trackingTask, until, type Hub } from './helpers.js'

const SECRET_EXT = 'https://casehub.org/fhir/StructureDefinition/casehub-endpoint-secret'
const SECRET = 'Bearer s3cr3t-0nward-t0ken'
const ENV = { CASEHUB_ENDPOINT_SECRETS: JSON.stringify({ 'sp-token': SECRET }) }

const endpoint = (address: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Endpoint',
  id: 'ep-1',
  status: 'active',
  connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'hl7-fhir-rest' },
  payloadType: [{ text: 'FHIR transaction' }],
  address,
  ...extra,
})

const put = (hub: Hub, r: any) => hub.fetch(`${r.resourceType}/${r.id}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(r) })

t.test('the named secret is sent as Authorization, with the Endpoint’s other headers; never stored or logged', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t, FAST, ENV)
  await seedDestination(hub, receiver.url)
  const res = await put(hub, endpoint(receiver.url, { extension: [{ url: SECRET_EXT, valueString: 'sp-token' }], header: ['X-Referral-Source: CaseHub'] }))
  t.equal(res.status, 200)
  await hub.post(onwardReferral())
  await until(async () => (await outboxRows(hub))[0]?.status === 'delivered', 10_000, 'delivery')
  t.equal(receiver.headers[0].authorization, SECRET)
  t.equal(receiver.headers[0]['x-referral-source'], 'CaseHub')
  const stored = await hub.server.db.pool.query(`SELECT count(*)::int AS n FROM resource_history WHERE content::text LIKE '%s3cr3t%'`)
  t.equal(stored.rows[0].n, 0, 'the secret is not in the database')
  t.notMatch(JSON.stringify(hub.logs), /s3cr3t/, 'nor in the logs')
})

t.test('an Authorization header in clear, or an unknown secret name, is refused with 422', async (t) => {
  const hub = await startHub(t, FAST, ENV)
  const clear = await put(hub, endpoint('http://127.0.0.1:9/fhir', { header: ['X-Ok: 1', 'authorization: Bearer leaked'] }))
  t.equal(clear.status, 422)
  const body: any = await clear.json()
  t.match(body, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'security', expression: ['Endpoint.header[1]'] }] })
  t.notMatch(JSON.stringify(body), /leaked/, 'the refused value is not echoed')
  t.equal((await hub.fetch('Endpoint/ep-1')).status, 404, 'nothing stored')

  const unknown = await put(hub, endpoint('http://127.0.0.1:9/fhir', { extension: [{ url: SECRET_EXT, valueString: 'nobody' }] }))
  t.equal(unknown.status, 422)
  t.match(await unknown.json(), { issue: [{ expression: ['Endpoint.extension[0].value'], diagnostics: /No endpoint secret named "nobody"/ }] })

  // in a transaction Bundle: the whole Bundle is refused, with the entry's location
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: { resourceType: 'Patient', id: 'p1' }, request: { method: 'PUT', url: 'Patient/p1' } },
      { resource: endpoint('http://127.0.0.1:9/fhir', { header: ['Authorization: Basic eDp5'] }), request: { method: 'PUT', url: 'Endpoint/ep-1' } },
    ],
  }
  const tx = await hub.fetch('', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(bundle) })
  t.equal(tx.status, 422)
  t.match(JSON.stringify(await tx.json()), /entry\[1\]\.resource\.header\[0\]/)
  t.equal((await hub.fetch('Patient/p1')).status, 404, 'no partial write')
})

t.test('a secret that is no longer configured dead-letters the delivery with a clear error', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t, false, ENV)
  await seedDestination(hub, receiver.url)
  t.equal((await put(hub, endpoint(receiver.url, { extension: [{ url: SECRET_EXT, valueString: 'sp-token' }] }))).status, 200)
  const sr = await hub.post(onwardReferral())
  // a worker whose configuration lacks the secret (e.g. another process, configured apart)
  const w = new OutboxWorker(hub.server.db, { ...FAST, secrets: {} })
  t.teardown(() => w.stop())
  await w.start()
  await until(async () => (await outboxRows(hub))[0]?.status === 'dead', 10_000, 'dead letter')
  t.match((await outboxRows(hub))[0].last_error, /names the secret "sp-token", which is not configured here/)
  t.equal(receiver.requests.length, 0, 'nothing sent without its credential')
  t.ok(await trackingTask(hub, sr.id))
})

t.test('configuration: secrets from a file or the variable; errors never show a value', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'casehub-secrets-'))
  const file = join(dir, 'secrets.json')
  writeFileSync(file, JSON.stringify({ a: 'Bearer from-file', b: 'Bearer b-file' }))
  const c = loadConfig({ CASEHUB_ENDPOINT_SECRETS_FILE: file, CASEHUB_ENDPOINT_SECRETS: JSON.stringify({ b: 'Bearer b-env' }) })
  t.same({ ...c.endpointSecrets }, { a: 'Bearer from-file', b: 'Bearer b-env' })
  t.same({ ...loadConfig({}).endpointSecrets }, {})
  for (const bad of ['{"a": "Bearer hunter2"', '["Bearer hunter2"]', '{"a": 42}', '{"a b": "Bearer hunter2"}', '{"a": "Bearer hunter2\\nX: y"}']) {
    try {
      loadConfig({ CASEHUB_ENDPOINT_SECRETS: bad })
      t.fail(`accepted ${bad}`)
    } catch (err) {
      t.ok(err instanceof ConfigError)
      t.match((err as Error).message, /CASEHUB_ENDPOINT_SECRETS/)
      t.notMatch((err as Error).message, /hunter2/, 'the value is not shown')
    }
  }
  t.throws(() => loadConfig({ CASEHUB_ENDPOINT_SECRETS_FILE: join(dir, 'missing.json') }), /CASEHUB_ENDPOINT_SECRETS_FILE.*cannot be read \(ENOENT\)/)
  t.throws(() => loadConfig({ CASEHUB_OUTBOX_LOCK_TIMEOUT_MS: '5000', CASEHUB_DELIVERY_TIMEOUT_MS: '5000' }), /LOCK_TIMEOUT_MS must be greater/)
  t.match(loadConfig({}), { workers: 1, outbox: { pollMs: 1000, deliveryTimeoutMs: 10_000, lockTimeoutMs: 300_000 } })
})
