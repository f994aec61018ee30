// Compartment search beyond the Patient compartment (compartmentdefinition.html, http.html#search:
// GET [base]/{Compartment}/{id}/{type} and /{Compartment}/{id}/*) over the R4 Encounter,
// Practitioner, RelatedPerson and Device CompartmentDefinitions, against real PostgreSQL.
import t from 'tap'
import type { Resource } from '@medplum/fhirtypes'
import { startTestServer } from '../../helpers/test-server.js'
import { entriesOf, putAll, runTable, searchBundle, type Row } from './helpers.js'

const code = (c: string) => ({ coding: [{ system: 'http://example.org/codes', code: c }] })
const fixtures = [
  { resourceType: 'Patient', id: 'cp-p1', name: [{ family: 'Compartment' }], generalPractitioner: [{ reference: 'Practitioner/cp-dr' }] },
  { resourceType: 'Patient', id: 'cp-p2', name: [{ family: 'Other' }] },
  { resourceType: 'Practitioner', id: 'cp-dr', name: [{ family: 'Doctor' }] },
  { resourceType: 'RelatedPerson', id: 'cp-rp', patient: { reference: 'Patient/cp-p1' } },
  { resourceType: 'Device', id: 'cp-dev', patient: { reference: 'Patient/cp-p1' } },
  {
    resourceType: 'Encounter', id: 'cp-e1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/cp-p1' },
    participant: [{ individual: { reference: 'Practitioner/cp-dr' } }],
  },
  { resourceType: 'Encounter', id: 'cp-e2', status: 'finished', class: { code: 'EMER' }, subject: { reference: 'Patient/cp-p1' }, participant: [{ individual: { reference: 'RelatedPerson/cp-rp' } }] },
  {
    resourceType: 'Observation', id: 'cp-o1', status: 'final', code: code('a'), subject: { reference: 'Patient/cp-p1' },
    encounter: { reference: 'Encounter/cp-e1' }, performer: [{ reference: 'Practitioner/cp-dr' }], device: { reference: 'Device/cp-dev' },
  },
  { resourceType: 'Observation', id: 'cp-o2', status: 'final', code: code('b'), subject: { reference: 'Patient/cp-p1' }, encounter: { reference: 'Encounter/cp-e2' }, performer: [{ reference: 'RelatedPerson/cp-rp' }] },
  { resourceType: 'Observation', id: 'cp-o3', status: 'final', code: code('a'), subject: { reference: 'Device/cp-dev' } },
  { resourceType: 'Condition', id: 'cp-c1', code: code('c'), subject: { reference: 'Patient/cp-p1' }, encounter: { reference: 'Encounter/cp-e1' }, asserter: { reference: 'Practitioner/cp-dr' } },
  {
    resourceType: 'ServiceRequest', id: 'cp-sr1', status: 'active', intent: 'order', subject: { reference: 'Patient/cp-p2' },
    encounter: { reference: 'Encounter/cp-e1' }, requester: { reference: 'Practitioner/cp-dr' },
  },
] as Resource[]

const rows: Row[] = [
  { name: 'Encounter: by encounter', query: 'Encounter/cp-e1/Observation', expect: ['cp-o1'] },
  { name: 'Encounter: with a further parameter', query: 'Encounter/cp-e1/Observation?code=b', expect: [] },
  { name: 'Encounter: Condition', query: 'Encounter/cp-e1/Condition', expect: ['cp-c1'] },
  { name: 'Encounter: the encounter itself ({def})', query: 'Encounter/cp-e1/Encounter', expect: ['cp-e1'] },
  { name: 'Encounter: every type (*)', query: 'Encounter/cp-e1/*', expect: ['Encounter/cp-e1', 'Observation/cp-o1', 'Condition/cp-c1', 'ServiceRequest/cp-sr1'] },
  { name: 'Practitioner: Observation by performer', query: 'Practitioner/cp-dr/Observation', expect: ['cp-o1'] },
  { name: 'Practitioner: Condition by asserter', query: 'Practitioner/cp-dr/Condition', expect: ['cp-c1'] },
  { name: 'Practitioner: Encounter by participant', query: 'Practitioner/cp-dr/Encounter', expect: ['cp-e1'] },
  { name: 'Practitioner: ServiceRequest by requester', query: 'Practitioner/cp-dr/ServiceRequest', expect: ['cp-sr1'] },
  { name: 'Practitioner: Patient by general-practitioner', query: 'Practitioner/cp-dr/Patient', expect: ['cp-p1'] },
  {
    name: 'Practitioner: every type (*)',
    query: 'Practitioner/cp-dr/*',
    expect: ['Practitioner/cp-dr', 'Patient/cp-p1', 'Encounter/cp-e1', 'Observation/cp-o1', 'Condition/cp-c1', 'ServiceRequest/cp-sr1'],
  },
  { name: 'RelatedPerson: Observation by performer', query: 'RelatedPerson/cp-rp/Observation', expect: ['cp-o2'] },
  { name: 'RelatedPerson: Encounter by participant', query: 'RelatedPerson/cp-rp/Encounter', expect: ['cp-e2'] },
  { name: 'Device: Observation by subject or device', query: 'Device/cp-dev/Observation', expect: ['cp-o1', 'cp-o3'] },
  // R4 puts a Patient in a patient's compartment by `link` only (no {def}, unlike Practitioner)
  { name: 'Patient: every type (*)', query: 'Patient/cp-p1/*', expect: ['RelatedPerson/cp-rp', 'Encounter/cp-e1', 'Encounter/cp-e2', 'Observation/cp-o1', 'Observation/cp-o2', 'Condition/cp-c1'] },
  { name: 'Patient: * with _type-independent parameters', query: 'Patient/cp-p1/*?_id=cp-o2,cp-e2,cp-sr1', expect: ['Observation/cp-o2', 'Encounter/cp-e2'] },
  { name: 'nobody’s compartment', query: 'Practitioner/nobody/*', expect: [] },
]

t.test('compartments other than Patient (compartmentdefinition.html)', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, fixtures)
  await runTable(t, hub, 'compartments', rows)

  t.test('pages of a * search walk every member once', async (t) => {
    const seen: string[] = []
    let next: string | undefined = `${hub.url}/Practitioner/cp-dr/*?_count=2`
    for (let pages = 0; next && pages < 10; pages++) {
      const bundle: any = await (await fetch(next)).json()
      seen.push(...entriesOf(bundle, 'match').map((e: any) => `${e.resource.resourceType}/${e.resource.id}`))
      next = bundle.link.find((l: any) => l.relation === 'next')?.url
      if (next) t.match(next, /\/Practitioner\/cp-dr\/\*\?/, 'the next link stays in the compartment')
    }
    t.equal(seen.length, 6)
    t.equal(new Set(seen).size, 6, 'each once')
  })

  t.test('POST [Compartment]/[id]/[type]/_search takes form parameters as GET takes the query (http.html#search)', async (t) => {
    const post = (path: string, form: string) =>
      fetch(`${hub.url}/${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })
    const typed: any = await (await post('Encounter/cp-e1/Observation/_search', 'code=a')).json()
    t.same(entriesOf(typed, 'match').map((e: any) => e.resource.id), ['cp-o1'])
    t.same(entriesOf(await (await post('Encounter/cp-e1/Observation/_search', 'code=b')).json(), 'match'), [])
    const all: any = await (await post('Practitioner/cp-dr/*/_search?_count=50', '_id=cp-o1,cp-c1,cp-sr1')).json()
    t.same(entriesOf(all, 'match').map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort(), ['Condition/cp-c1', 'Observation/cp-o1', 'ServiceRequest/cp-sr1'])
    const self = typed.link.find((l: any) => l.relation === 'self').url
    t.match(self, /\/Encounter\/cp-e1\/Observation\?code=a$/, 'the self link is the equivalent GET')
    const json = await fetch(`${hub.url}/Encounter/cp-e1/Observation/_search`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: '{}' })
    t.equal(json.status, 415, 'only form bodies are search parameters')
    t.equal((await post('Encounter/cp-e1/Observation/_search', '')).status, 200, 'an empty body is no parameters')
    t.equal((await fetch(`${hub.url}/Encounter/cp-e1/Observation/_search`)).status, 405, 'GET on _search is not a search')
  })

  t.test('types outside a compartment, and unknown compartments, are 404 OperationOutcomes', async (t) => {
    for (const path of ['Encounter/cp-e1/Organization', 'Device/cp-dev/Device', 'Organization/x/Observation']) {
      const { status, body } = await searchBundle(hub, path)
      t.equal(status, 404, path)
      t.equal(body.resourceType, 'OperationOutcome')
    }
  })

  t.test('the CapabilityStatement lists the compartments (capabilitystatement.html#CapabilityStatement.rest.compartment)', async (t) => {
    const cs: any = await (await fetch(`${hub.url}/metadata`)).json()
    t.same(cs.rest[0].compartment, ['patient', 'encounter', 'relatedPerson', 'practitioner', 'device'].map((c) => `http://hl7.org/fhir/CompartmentDefinition/${c}`))
  })
})
