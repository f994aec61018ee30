// CaseHub's own conformance resources (profiles/, terminology/) are installed at start,
// idempotently and versioned by url|version, and served read-only.
import t from 'tap'
import { loadConfig } from '../../../src/config.js'
import { startServer } from '../../../src/server.js'
import { birthDateProfile } from '../../helpers/profiles.js'
import { createTestDatabase, installedKeys, startTestServer } from '../../helpers/test-server.js'

const json = (body: object) => ({ method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) })

t.test('installed at start, once', async (t) => {
  const keys = installedKeys()
  t.ok(keys.includes('SearchParameter/Task-triage-tier'), 'the search parameters of profiles/ are among them')
  t.ok(keys.includes('ValueSet/risk-tiers'), 'the ValueSets of terminology/ are among them')
  t.ok(keys.includes('Library/CaseHubEligibility') && keys.includes('PlanDefinition/casehub-intake'), 'the Libraries and PlanDefinition of rules/ too')
  const databaseUrl = await createTestDatabase(t)
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl })
  const first = await startServer(config)
  const versions = async (server: typeof first) => {
    const { rows } = await server.db.pool.query('SELECT count(*)::int AS n FROM resource_history')
    return rows[0].n as number
  }
  const afterFirst = await versions(first)
  t.equal(afterFirst, keys.length, 'one version per file')
  for (const key of keys) {
    const res = await fetch(`${first.url}/${key}`)
    t.equal(res.status, 200, `${key} is served`)
  }
  await first.close()
  const second = await startServer(config)
  t.teardown(() => second.close())
  t.equal(await versions(second), afterFirst, 'a second start writes nothing')
})

t.test('read-only through the API', async (t) => {
  const hub = await startTestServer(t)
  const current: any = await (await hub.fetch('ValueSet/risk-tiers')).json()

  t.test('update, patch and delete are refused with 405', async (t) => {
    const put = await hub.fetch('ValueSet/risk-tiers', { ...json({ ...current, title: 'Changed' }), method: 'PUT' })
    t.equal(put.status, 405)
    t.match(((await put.json()) as any).issue[0].diagnostics, /read-only/)
    const patch = await hub.fetch('ValueSet/risk-tiers', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'replace', path: '/title', value: 'Changed' }]),
    })
    t.equal(patch.status, 405)
    t.equal((await hub.fetch('ValueSet/risk-tiers', { method: 'DELETE' })).status, 405)
    const after: any = await (await hub.fetch('ValueSet/risk-tiers')).json()
    t.equal(after.meta.versionId, current.meta.versionId, 'still the installed version')
  })

  t.test('a new resource may not take an installed url|version (422) but may publish another version', async (t) => {
    const { id: _id, meta: _meta, ...copy } = current
    const clash = await hub.fetch('ValueSet', json(copy))
    t.equal(clash.status, 422)
    t.same(((await clash.json()) as any).issue[0].expression, ['ValueSet.url'])
    t.equal((await hub.fetch('ValueSet', json({ ...copy, version: '99.0.0' }))).status, 201)
  })
})

t.test('the CapabilityStatement names profiles per type and the operations', async (t) => {
  const hub = await startTestServer(t)
  t.equal((await hub.fetch('StructureDefinition', json(birthDateProfile()))).status, 201)
  const cs: any = await (await hub.fetch('metadata')).json()
  const patient = cs.rest[0].resource.find((r: any) => r.type === 'Patient')
  t.ok(patient.supportedProfile.includes('https://example.org/fhir/StructureDefinition/patient-with-birthdate|1.0.0'), 'a profile added through the API appears at once')
  t.same(patient.operation.find((o: any) => o.name === 'validate'), { name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' })
})
