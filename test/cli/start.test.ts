// `casehub start` as an operator runs it: embedded PostgreSQL, JSON logs without patient data,
// and a graceful stop on SIGTERM that also stops the embedded database.
import t from 'tap'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:net'
import { loadConfig, ConfigError } from '../../src/config.js'
import { startCasehubProcess } from '../helpers/cli.js'


const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })

t.test('starts on an embedded database, logs without patient data, stops cleanly on SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'casehub-start-'))
  const { child, url, out: output } = await startCasehubProcess(t, { CASEHUB_DATA_DIR: dataDir, DATABASE_URL: '' })
  const secretId = '9434765919'
  const created = await fetch(`${url}/Patient`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', 'x-request-id': 'req-from-gp-1' },
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Zebedee-Quartz' }], identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: secretId }] }),
  })
  t.equal(created.status, 201)
  const search = await fetch(`${url}/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${secretId}`)
  t.equal(search.status, 200)
  const bad = await fetch(`${url}/Patient`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: `{"resourceType":"Patient","birthDate":"${secretId}"}` })
  t.equal(bad.status, 400)

  child.kill('SIGTERM')
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.equal(code, 0, 'exits 0 after SIGTERM')

  const out = output()
  const lines = out.split('\n').filter((l) => l.startsWith('{'))
  t.ok(lines.length >= 4, 'logs are JSON lines')
  for (const l of lines) JSON.parse(l)
  t.match(out, /"reqId":"req-from-gp-1"/, 'the request id is in the logs')
  t.notMatch(out, new RegExp(secretId), 'no NHS number in the logs')
  t.notMatch(out, /Zebedee-Quartz/, 'no resource bodies in the logs')
  t.match(out, /shutting down/)
  t.notOk(await portOpen(Number(new URL(url).port)), 'the HTTP port is closed')
})

t.test('configuration is validated with a message naming the variable', async (t) => {
  try {
    loadConfig({ PORT: 'eighty' })
    t.fail('PORT=eighty accepted')
  } catch (err) {
    t.ok(err instanceof ConfigError)
    t.match((err as Error).message, /PORT="eighty" must be integer/)
  }
  t.throws(() => loadConfig({ PORT: '70000' }), /PORT/)
  t.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/)
  t.throws(() => loadConfig({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL/)
  const config = loadConfig({})
  t.equal(config.port, 8080)
  t.equal(config.host, '127.0.0.1')
  t.equal(config.dataDir, './.casehub')
  t.equal(config.referencePolicy, 'lenient')
  t.ok(Object.isFrozen(config))
})
