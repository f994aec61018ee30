// meta.profile on write (profiling.html#profile-use; http.html#create: 422 when "the proposed
// resource violated applicable FHIR profiles"), with a profile written through the API.
import t from 'tap'
import { birthDateProfile, PROFILE_URL } from '../../helpers/profiles.js'
import { startTestServer, type TestServer } from '../../helpers/test-server.js'

const post = (hub: TestServer, type: string, body: object, prefer?: string) =>
  hub.fetch(type, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', ...(prefer ? { prefer } : {}) },
    body: JSON.stringify(body),
  })

t.test('a resource claiming a known profile is validated against it', async (t) => {
  const hub = await startTestServer(t)
  t.equal((await post(hub, 'StructureDefinition', birthDateProfile())).status, 201, 'the profile is stored')

  t.test('422 with the location when the profile is violated, and nothing is stored', async (t) => {
    const before = await hub.rows()
    const res = await post(hub, 'Patient', { resourceType: 'Patient', meta: { profile: [PROFILE_URL] }, name: [{ family: 'Ng' }] })
    t.equal(res.status, 422)
    const body: any = await res.json()
    t.equal(body.resourceType, 'OperationOutcome')
    t.ok(body.issue.some((i: any) => i.severity === 'error' && i.expression?.includes('Patient.birthDate')), JSON.stringify(body.issue))
    t.equal(await hub.rows(), before)
  })

  t.test('201 when the resource conforms; url|version names the profile too', async (t) => {
    for (const profile of [PROFILE_URL, `${PROFILE_URL}|1.0.0`]) {
      const res = await post(hub, 'Patient', { resourceType: 'Patient', meta: { profile: [profile] }, birthDate: '1950-01-01' })
      t.equal(res.status, 201, profile)
    }
  })

  t.test('a resource without meta.profile is checked against the base definition only', async (t) => {
    t.equal((await post(hub, 'Patient', { resourceType: 'Patient', name: [{ family: 'Ng' }] })).status, 201)
  })

  t.test('inside a transaction the whole Bundle fails and nothing is written', async (t) => {
    const before = await hub.rows()
    const res = await post(hub, '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', birthDate: '1960-01-01' } },
        { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', meta: { profile: [PROFILE_URL] } } },
      ],
    })
    t.equal(res.status, 422)
    const body: any = await res.json()
    t.ok(body.issue.some((i: any) => i.expression?.includes('Bundle.entry[1].resource.birthDate')), JSON.stringify(body.issue))
    t.equal(await hub.rows(), before)
  })

  t.test('a newer version of the profile takes effect at once; the old one stays addressable', async (t) => {
    const v2 = { ...birthDateProfile(), version: '2.0.0' }
    v2.snapshot!.element = v2.snapshot!.element!.map((e) => (e.path === 'Patient.gender' ? { ...e, min: 1 } : e))
    t.equal((await post(hub, 'StructureDefinition', v2)).status, 201)
    const latest = await post(hub, 'Patient', { resourceType: 'Patient', meta: { profile: [PROFILE_URL] }, birthDate: '1950-01-01' })
    t.equal(latest.status, 422, 'url alone means the latest version, which needs gender')
    const pinned = await post(hub, 'Patient', { resourceType: 'Patient', meta: { profile: [`${PROFILE_URL}|1.0.0`] }, birthDate: '1950-01-01' })
    t.equal(pinned.status, 201)
  })

  t.test('a profile for another type is an error', async (t) => {
    const res = await post(hub, 'Observation', {
      resourceType: 'Observation', status: 'final', code: { text: 'x' }, meta: { profile: [PROFILE_URL] },
    })
    t.equal(res.status, 422)
    t.match(((await res.json()) as any).issue[0].diagnostics, /is for Patient, not Observation/)
  })
})

t.test('a meta.profile the server does not know', async (t) => {
  const unknown = { resourceType: 'Patient', meta: { profile: ['https://example.org/fhir/StructureDefinition/nobody-knows'] } }

  t.test('is accepted with a warning by default (returned with Prefer: return=OperationOutcome)', async (t) => {
    const hub = await startTestServer(t)
    const res = await post(hub, 'Patient', unknown, 'return=OperationOutcome')
    t.equal(res.status, 201)
    const body: any = await res.json()
    const warning = body.issue.find((i: any) => i.severity === 'warning')
    t.match(warning.diagnostics, /nobody-knows is not known/)
    t.same(warning.expression, ['Patient.meta.profile[0]'])
  })

  t.test('is rejected with 422 when CASEHUB_UNKNOWN_PROFILE=error', async (t) => {
    const hub = await startTestServer(t, { CASEHUB_UNKNOWN_PROFILE: 'error' })
    const res = await post(hub, 'Patient', unknown)
    t.equal(res.status, 422)
    t.equal(await hub.rows(), 0)
  })
})

t.test('a profile written in a transaction is used only once the transaction commits', async (t) => {
  const hub = await startTestServer(t, { CASEHUB_UNKNOWN_PROFILE: 'error' })
  const url = 'https://example.org/fhir/StructureDefinition/rolled-back'
  const res = await post(hub, '', {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { request: { method: 'POST', url: 'StructureDefinition' }, resource: birthDateProfile(url) },
      { request: { method: 'PUT', url: 'Patient/x' }, resource: { resourceType: 'Patient', id: 'y' } },
    ],
  })
  t.equal(res.status, 400, 'the second entry fails, so the Bundle rolls back')
  const after = await post(hub, 'Patient', { resourceType: 'Patient', meta: { profile: [url] }, birthDate: '1950-01-01' })
  t.equal(after.status, 422, 'the rolled-back profile is unknown')
})
