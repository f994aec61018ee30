// Formats and general parameters — http.html#mime-type, http.html#general-parameters, search.html#summary, #elements
import t from 'tap'
import { startTestServer } from '../helpers/test-server.js'

t.test('format', async (t) => {
  const hub = await startTestServer(t)
  const p: any = await hub.client.create({
    resourceType: 'Patient',
    body: { resourceType: 'Patient', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Ada</div>' }, name: [{ family: 'Ada' }], maritalStatus: { text: 'M' }, birthDate: '1950-01-01' },
  })

  t.test('application/json is accepted for bodies and Accept alike', async (t) => {
    const res = await hub.fetch('Patient', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{"resourceType":"Patient"}' })
    t.equal(res.status, 201)
  })

  t.test('a fhirVersion other than R4 in Accept is 406, in Content-Type 415 (versioning.html#mt-version)', async (t) => {
    for (const version of ['4.0', '4.0.1']) {
      const res = await hub.fetch(`Patient/${p.id}`, { headers: { accept: `application/fhir+json; fhirVersion=${version}` } })
      t.equal(res.status, 200, `fhirVersion=${version}`)
    }
    for (const version of ['1.0', '3.0', '5.0']) {
      const res = await hub.fetch(`Patient/${p.id}`, { headers: { accept: `application/fhir+json; fhirVersion=${version}` } })
      t.equal(res.status, 406, `fhirVersion=${version}`)
      t.match(((await res.json()) as any).issue[0].diagnostics, /R4/)
    }
    const either = await hub.fetch('metadata', { headers: { accept: 'application/fhir+json; fhirVersion=5.0, application/fhir+json; fhirVersion=4.0; q=0.5' } })
    t.equal(either.status, 200, 'an R4 alternative is served')
    const body = await hub.fetch('Patient', { method: 'POST', headers: { 'content-type': 'application/fhir+json; fhirVersion=3.0' }, body: '{"resourceType":"Patient"}' })
    t.equal(body.status, 415)
    const r4 = await hub.fetch('Patient', { method: 'POST', headers: { 'content-type': 'application/fhir+json; fhirVersion=4.0' }, body: '{"resourceType":"Patient"}' })
    t.equal(r4.status, 201)
  })

  t.test('_summary=true keeps summary elements only and tags the resource SUBSETTED', async (t) => {
    const body: any = await (await hub.fetch(`Patient/${p.id}?_summary=true`)).json()
    t.ok(body.name)
    t.ok(body.birthDate)
    t.notOk(body.maritalStatus, 'maritalStatus is not a summary element')
    t.notOk(body.text)
    t.ok(body.meta.tag.some((tag: any) => tag.code === 'SUBSETTED'))
  })

  t.test('_summary=true applies at every level: inside backbone elements too (search.html#summary)', async (t) => {
    const obs: any = await hub.client.create({
      resourceType: 'Observation',
      body: {
        resourceType: 'Observation', status: 'final', code: { text: 'BP' }, interpretation: [{ text: 'high' }],
        component: [{
          code: { text: 'systolic' }, valueQuantity: { value: 150, unit: 'mmHg' }, _valueString: undefined,
          interpretation: [{ text: 'high' }], referenceRange: [{ low: { value: 90 }, text: 'normal' }],
        }],
      },
    })
    const body: any = await (await hub.fetch(`Observation/${obs.id}?_summary=true`)).json()
    t.same(body.component, [{ code: { text: 'systolic' }, valueQuantity: { value: 150, unit: 'mmHg' } }], 'component keeps code and value only')
    t.notOk(body.interpretation)
    const cs: any = await (await hub.fetch('metadata?_summary=true')).json()
    const patient = cs.rest[0].resource.find((r: any) => r.type === 'Patient')
    t.notOk(patient.searchParam, 'rest.resource.searchParam is not a summary element')
    t.notOk(patient.interaction)
    t.ok(patient.operation, 'rest.resource.operation is')
  })

  t.test('_summary=text and _summary=data', async (t) => {
    const text: any = await (await hub.fetch(`Patient/${p.id}?_summary=text`)).json()
    t.ok(text.text)
    t.notOk(text.name)
    const data: any = await (await hub.fetch(`Patient/${p.id}?_summary=data`)).json()
    t.notOk(data.text)
    t.ok(data.maritalStatus)
  })

  t.test('_elements keeps the named elements (plus id and meta)', async (t) => {
    const body: any = await (await hub.fetch(`Patient/${p.id}?_elements=birthDate`)).json()
    t.same(Object.keys(body).sort(), ['birthDate', 'id', 'meta', 'resourceType'])
  })

  t.test('_pretty=true indents; resourceType comes first', async (t) => {
    const text = await (await hub.fetch(`Patient/${p.id}?_pretty=true`)).text()
    t.match(text, /^\{\n  "resourceType": "Patient",\n/)
  })

  t.test('_format=json is honoured and a bad _summary is 400', async (t) => {
    t.equal((await hub.fetch(`Patient/${p.id}?_format=json`)).status, 200)
    t.equal((await hub.fetch(`Patient/${p.id}?_format=application/fhir%2Bjson`)).status, 200)
    t.equal((await hub.fetch(`Patient/${p.id}?_summary=maybe`)).status, 400)
  })

  t.test('X-Request-Id is echoed, or made when absent', async (t) => {
    const given = await hub.fetch('metadata', { headers: { 'x-request-id': 'gp-req-42' } })
    t.equal(given.headers.get('x-request-id'), 'gp-req-42')
    const made = await hub.fetch('metadata')
    t.match(made.headers.get('x-request-id'), /^[0-9a-f-]{36}$/)
  })

  t.test('paths outside /fhir get an OperationOutcome 404', async (t) => {
    const res = await fetch(hub.url.replace(/\/fhir$/, '/elsewhere'))
    t.equal(res.status, 404)
    t.equal(((await res.json()) as any).resourceType, 'OperationOutcome')
  })
})
