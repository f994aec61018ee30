// Searches read matches from the index rows of a condition (store/pg-search.ts matchingSql): that
// is sound only while index rows exist for current, undeleted versions alone. Every way of
// deleting — DELETE, a transaction's delete, a conditional delete — must take a resource out of
// every index table and so out of every search (http.html#delete: a deleted resource is not
// found by search).
import t from 'tap'
import type { Resource } from '@medplum/fhirtypes'
import { startTestServer } from '../../helpers/test-server.js'
import { matchIds, putAll } from './helpers.js'

const INDEX_TABLES = ['search_string', 'search_token', 'search_date', 'search_number', 'search_quantity', 'search_reference', 'search_uri']

const patient = (id: string): Resource => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: `nhs-${id}` }],
  name: [{ family: 'Gone', given: [id] }],
  birthDate: '1961-04-05',
  gender: 'female',
  generalPractitioner: [{ reference: 'Organization/gp1' }],
})
const observation = (id: string, subject: string): Resource => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
  subject: { reference: `Patient/${subject}` },
  effectiveDateTime: '2026-01-02',
  valueQuantity: { value: 81.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
})

t.test('a deleted resource leaves no index rows and no search finds it', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, [
    { resourceType: 'Organization', id: 'gp1', name: 'Surgery' } as Resource,
    patient('keep'), patient('del1'), patient('del2'), patient('del3'),
    observation('o-keep', 'keep'), observation('o-del1', 'del1'), observation('o-del2', 'del2'),
  ])

  // DELETE by id
  t.equal((await hub.fetch('Patient/del1', { method: 'DELETE' })).status, 200)
  t.equal((await hub.fetch('Observation/o-del1', { method: 'DELETE' })).status, 200)
  // deletes in a transaction
  const tx = await hub.fetch('', {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ request: { method: 'DELETE', url: 'Patient/del2' } }, { request: { method: 'DELETE', url: 'Observation/o-del2' } }],
    }),
  })
  t.equal(tx.status, 200)
  // conditional delete
  const conditional = await hub.fetch('Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|nhs-del3', { method: 'DELETE' })
  t.ok(conditional.status === 200 || conditional.status === 204, `conditional delete: ${conditional.status}`)

  for (const table of INDEX_TABLES) {
    const { rows } = await hub.server.db.pool.query(
      `SELECT resource_type, id FROM ${table} WHERE (resource_type, id) IN (SELECT resource_type, id FROM resource WHERE deleted)`,
    )
    t.same(rows, [], `${table} holds no rows of a deleted resource`)
  }

  const searches: [string, string[]][] = [
    ['Patient?family=gone', ['keep']],
    ['Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|', ['keep']],
    ['Patient?birthdate=1961-04-05', ['keep']],
    ['Patient?general-practitioner=Organization/gp1', ['keep']],
    ['Patient?gender=female&family=gone', ['keep']],
    ['Observation?code=http://loinc.org|29463-7', ['o-keep']],
    ['Observation?value-quantity=81.5', ['o-keep']],
    ['Observation?date=2026-01-02&status=final', ['o-keep']],
    ['Observation?subject:Patient.family=gone', ['o-keep']],
  ]
  for (const [query, expect] of searches) {
    t.same(await matchIds(hub, query), expect, query)
    const count = await hub.fetch(`${query}&_summary=count`)
    t.equal(((await count.json()) as { total: number }).total, expect.length, `${query}: _summary=count`)
  }
})
