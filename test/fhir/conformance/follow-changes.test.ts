// Two CaseHub processes over one database: a SearchParameter or a ValueSet written through one
// takes effect in the other without a restart (DESIGN.md: stateless nodes side by side).
import t from 'tap'
import { loadConfig } from '../../../src/config.js'
import { startServer } from '../../../src/server.js'
import { createTestDatabase } from '../../helpers/test-server.js'
import { startCasehubProcess } from '../../helpers/cli.js'

/** Polls `check` until it holds (the other process looks every 2 s), at most 20 s. */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 500))
  }
  return false
}

const json = { 'content-type': 'application/fhir+json' }

t.test('conformance resources written through one process take effect in another', async (t) => {
  const databaseUrl = await createTestDatabase(t)
  const here = await startServer(loadConfig({ PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl }), { worker: false })
  t.teardown(() => here.close())
  const there = (await startCasehubProcess(t, { DATABASE_URL: databaseUrl })).url

  const nickname = {
    resourceType: 'SearchParameter',
    url: 'https://example.org/fhir/SearchParameter/patient-nickname',
    name: 'nickname',
    status: 'active',
    description: 'A given name used as a nickname',
    code: 'nickname',
    base: ['Patient'],
    type: 'string',
    expression: "Patient.name.where(use = 'nickname').given",
  }
  const patient = { resourceType: 'Patient', name: [{ use: 'nickname', given: ['Bobbie'] }, { family: 'Roberts' }] }
  t.equal((await fetch(`${here.url}/Patient`, { method: 'POST', headers: json, body: JSON.stringify(patient) })).status, 201)
  const search = async () => (await fetch(`${here.url}/Patient?nickname=bob`, { headers: { prefer: 'handling=strict' } })).status
  t.equal(await search(), 400, 'unknown here before it is written')

  const sp = await fetch(`${there}/SearchParameter`, { method: 'POST', headers: json, body: JSON.stringify(nickname) })
  t.equal(sp.status, 201, 'written through the other process')
  t.ok(await eventually(async () => (await search()) === 200), 'this process then accepts the parameter')
  // The patient was written before the parameter existed: `casehub reindex` indexes old data
  // (custom-parameters.ts); a patient written now is indexed at once.
  await fetch(`${here.url}/Patient`, { method: 'POST', headers: json, body: JSON.stringify({ ...patient, name: [{ use: 'nickname', given: ['Bobby'] }] }) })
  const found = await (await fetch(`${here.url}/Patient?nickname=bob`)).json()
  t.same(found.entry.map((e: any) => e.resource.name[0].given[0]), ['Bobby'])

  const url = 'https://example.org/fhir/ValueSet/follow-test'
  const valueSet = {
    resourceType: 'ValueSet',
    url,
    status: 'active',
    compose: { include: [{ system: 'https://example.org/codes', concept: [{ code: 'a', display: 'A' }] }] },
  }
  const expand = async () => (await fetch(`${here.url}/ValueSet/$expand?url=${encodeURIComponent(url)}`)).status
  t.not(await expand(), 200, 'no such ValueSet here yet')
  const vs = await (await fetch(`${there}/ValueSet`, { method: 'POST', headers: json, body: JSON.stringify(valueSet) })).json()
  t.ok(await eventually(async () => (await expand()) === 200), 'then $expand finds it here')
  t.equal((await fetch(`${there}/ValueSet/${vs.id}`, { method: 'DELETE' })).status, 200, 'deleted through the other process')
  t.ok(await eventually(async () => (await expand()) !== 200), 'and then it is gone here too')
})
