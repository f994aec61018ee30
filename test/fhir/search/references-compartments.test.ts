// References and what is built on them, each area on a server of its own:
// - reference (search.html#reference): Type/id, id, absolute URLs on this server's base (the same
//   resource as Type/id) and on another server (a different resource), versioned references, :Type,
//   :identifier, :missing, canonical references; chaining (search.html#chaining), several levels
//   deep; reverse chaining with _has (search.html#has), nested;
// - search across types (GET [base]?_type=..., POST [base]/_search — http.html#search) and Patient
//   compartment search (GET [base]/Patient/{id}/[type] — compartmentdefinition.html);
// - a few Synthea patients loaded as transaction Bundles, searched and checked against what the
//   Bundles hold; the search part of the CapabilityStatement (capabilitystatement.html).
import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Resource } from '@medplum/fhirtypes'
import { startTestServer } from '../../helpers/test-server.js'
import { enc, entriesOf, matchIds, putAll, runTable, searchBundle, type Row } from './helpers.js'

const OTHER = 'http://other.example.org/fhir'
const MRN = 'http://hospital.example.org/mrn'
const coded = (c: string) => ({ coding: [{ system: 'http://example.org/codes', code: c }] })
const obs = (id: string, c: string, extra: object = {}): Resource =>
  ({ resourceType: 'Observation', id, status: 'final', code: coded(c), ...extra }) as Resource

function referenceFixtures(base: string): Resource[] {
  return [
    { resourceType: 'Organization', id: 'org1', name: 'Good Health Trust' },
    { resourceType: 'Organization', id: 'org2', name: 'Other Trust' },
    { resourceType: 'Practitioner', id: 'dr', name: [{ family: 'Who' }] },
    {
      resourceType: 'Patient',
      id: 'pa',
      name: [{ family: 'Alpha' }],
      managingOrganization: { reference: 'Organization/org1' },
      generalPractitioner: [{ reference: 'Practitioner/dr' }],
    },
    { resourceType: 'Patient', id: 'pb', name: [{ family: 'Beta' }], managingOrganization: { reference: `${base}/Organization/org2` } },
    { resourceType: 'Group', id: 'g1', type: 'person', actual: true },
    obs('o1', 'c1', { subject: { reference: 'Patient/pa' } }),
    obs('o2', 'c1', { subject: { reference: `${base}/Patient/pb` } }),
    obs('o3', 'c3', { subject: { reference: `${OTHER}/Patient/pa` } }),
    obs('o4', 'c2', { subject: { reference: 'Group/g1' } }),
    obs('o5', 'c2', { subject: { reference: 'Patient/pa/_history/1' }, performer: [{ reference: 'Practitioner/dr' }] }),
    obs('o6', 'c2', { subject: { identifier: { system: MRN, value: '123' } } }),
    obs('o7', 'c1'),
    ...[
      ['qr1', 'http://example.org/Questionnaire/phq9|1.0'],
      ['qr2', 'http://example.org/Questionnaire/phq9|2.0'],
      ['qr3', 'http://example.org/Questionnaire/gad7'],
    ].map(([id, questionnaire]) => ({ resourceType: 'QuestionnaireResponse', id, status: 'completed', questionnaire }) as Resource),
  ]
}

function references(base: string): Row[] {
  return [
    { name: 'Type/id', query: 'Observation?subject=Patient/pa', expect: ['o1', 'o5'] },
    { name: 'id alone', query: 'Observation?subject=pa', expect: ['o1', 'o5'] },
    { name: 'absolute URL on this server', query: `Observation?subject=${enc(`${base}/Patient/pa`)}`, expect: ['o1', 'o5'] },
    { name: 'Type/id finds a reference stored as an absolute URL on this server', query: 'Observation?subject=Patient/pb', expect: ['o2'] },
    { name: 'absolute URL finds a reference stored absolute', query: `Observation?subject=${enc(`${base}/Patient/pb`)}`, expect: ['o2'] },
    { name: 'absolute URL on another server is another resource', query: `Observation?subject=${enc(`${OTHER}/Patient/pa`)}`, expect: ['o3'] },
    { name: 'comma is OR', query: 'Observation?subject=Patient/pa,Patient/pb', expect: ['o1', 'o5', 'o2'] },
    { name: 'a parameter restricted to Patient targets', query: 'Observation?patient=Patient/pa', expect: ['o1', 'o5'] },
    { name: 'patient does not cover Group subjects', query: 'Observation?patient=g1', expect: [] },
    { name: ':Patient type modifier', query: 'Observation?subject:Patient=pa', expect: ['o1', 'o5'] },
    { name: ':Group type modifier', query: 'Observation?subject:Group=g1', expect: ['o4'] },
    { name: 'no such target', query: 'Observation?subject=Patient/nobody', expect: [] },
    { name: ':identifier (logical reference)', query: `Observation?subject:identifier=${enc(`${MRN}|123`)}`, expect: ['o6'] },
    {
      name: ':missing=true (a logical reference is a value)',
      query: 'Observation?subject:missing=true',
      expect: ['o7'],
    },
    { name: 'performer', query: 'Observation?performer=Practitioner/dr', expect: ['o5'] },
    { name: 'canonical without version', query: `QuestionnaireResponse?questionnaire=${enc('http://example.org/Questionnaire/phq9')}`, expect: ['qr1', 'qr2'] },
    {
      name: 'canonical with version',
      query: `QuestionnaireResponse?questionnaire=${enc('http://example.org/Questionnaire/phq9|1.0')}`,
      expect: ['qr1'],
    },
  ]
}

const chains: Row[] = [
  { name: 'chain with a type', query: 'Observation?subject:Patient.family=alpha', expect: ['o1', 'o5'] },
  { name: 'chain over every target type', query: 'Observation?subject.family=beta', expect: ['o2'] },
  { name: 'a chain does not follow references to another server', query: 'Observation?patient.family=alpha', expect: ['o1', 'o5'] },
  { name: 'chain to _id', query: 'Observation?patient._id=pa', expect: ['o1', 'o5'] },
  { name: 'chained value with OR', query: 'Observation?subject:Patient.family=alpha,beta', expect: ['o1', 'o5', 'o2'] },
  { name: 'chain AND another parameter', query: 'Observation?patient.family=alpha&code=c2', expect: ['o5'] },
  { name: 'two levels', query: 'Observation?patient.organization.name=good', expect: ['o1', 'o5'] },
  { name: 'two levels through an absolute reference', query: 'Observation?patient.organization.name=other', expect: ['o2'] },
  { name: 'two levels with a type in the middle', query: 'Observation?patient.general-practitioner:Practitioner.family=who', expect: ['o1', 'o5'] },
  { name: 'performer chain', query: 'Observation?performer:Practitioner.family=who', expect: ['o5'] },
]

const has: Row[] = [
  { name: '_has', query: 'Patient?_has:Observation:patient:code=c1', expect: ['pa', 'pb'] },
  { name: '_has does not follow references to another server', query: 'Patient?_has:Observation:patient:code=c3', expect: [] },
  { name: '_has through a versioned reference', query: 'Patient?_has:Observation:subject:code=c2', expect: ['pa'] },
  { name: '_has on a Group', query: 'Group?_has:Observation:subject:code=c2', expect: ['g1'] },
  { name: '_has on a Practitioner', query: 'Practitioner?_has:Observation:performer:code=c2', expect: ['dr'] },
  { name: '_has AND a parameter', query: 'Patient?_has:Observation:patient:code=c1&family=beta', expect: ['pb'] },
  { name: 'nested _has', query: 'Organization?_has:Patient:organization:_has:Observation:patient:code=c1', expect: ['org1', 'org2'] },
  { name: 'nested _has, narrower', query: 'Organization?_has:Patient:organization:_has:Observation:patient:code=c2', expect: ['org1'] },
]

t.test('reference search, chaining and reverse chaining', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, referenceFixtures(hub.url))
  t.test('references', async (t) => runTable(t, hub, 'reference', references(hub.url)))
  t.test('chains', async (t) => runTable(t, hub, 'chaining', chains))
  t.test('reverse chains', async (t) => runTable(t, hub, 'has', has))
})

const TAGS = 'http://casehub.example.org/tags'
const sys = { tag: [{ system: TAGS, code: 'sys' }] }

const compartmentFixtures = (base: string) => [
  { resourceType: 'Patient', id: 'sp-p1', meta: sys, name: [{ family: 'Jones' }] },
  { resourceType: 'Patient', id: 'sp-p2', name: [{ family: 'Evans' }] },
  { resourceType: 'Patient', id: 'sp-p3', meta: sys, name: [{ family: 'Smith' }] },
  { resourceType: 'Practitioner', id: 'sp-dr', meta: sys, name: [{ family: 'Smith' }] },
  { resourceType: 'Organization', id: 'sp-org', name: 'Smith & Co' },
  { resourceType: 'Observation', id: 'sp-o1', meta: sys, status: 'final', code: coded('c1'), subject: { reference: 'Patient/sp-p1' } },
  { resourceType: 'Observation', id: 'sp-o2', meta: sys, status: 'final', code: coded('c2'), subject: { reference: 'Patient/sp-p2' } },
  { resourceType: 'Observation', id: 'sp-o3', status: 'final', code: coded('c1'), subject: { reference: 'http://other.example.org/fhir/Patient/sp-p1' } },
  {
    resourceType: 'Observation',
    id: 'sp-o4',
    status: 'final',
    code: coded('c2'),
    subject: { reference: 'Patient/sp-p2' },
    performer: [{ reference: 'Patient/sp-p1' }],
  },
  { resourceType: 'Encounter', id: 'sp-e1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/sp-p1' } },
  { resourceType: 'Condition', id: 'sp-c1', code: coded('c9'), subject: { reference: 'Patient/sp-p1' } },
  // the same id in two types
  { resourceType: 'Patient', id: 'twin', meta: { tag: [{ system: TAGS, code: 'twin' }] } },
  { resourceType: 'Observation', id: 'twin', meta: { tag: [{ system: TAGS, code: 'twin' }] }, status: 'final', code: coded('tw') },
  { resourceType: 'Observation', id: 'sp-o5', status: 'final', code: coded('c5'), subject: { reference: `${base}/Patient/sp-p3` } },
] as Resource[]

const system: Row[] = [
  { name: 'every type', query: `?_tag=${enc(`${TAGS}|sys`)}`, expect: ['Patient/sp-p1', 'Patient/sp-p3', 'Practitioner/sp-dr', 'Observation/sp-o1', 'Observation/sp-o2'] },
  { name: '_type narrows the types', query: `?_type=Patient,Practitioner&_tag=${enc(`${TAGS}|sys`)}`, expect: ['Patient/sp-p1', 'Patient/sp-p3', 'Practitioner/sp-dr'] },
  { name: 'a parameter both types define', query: '?_type=Patient,Practitioner&name=smith', expect: ['Patient/sp-p3', 'Practitioner/sp-dr'] },
  { name: '_type with one type', query: '?_type=Observation&code=c1,c5', expect: ['Observation/sp-o1', 'Observation/sp-o3', 'Observation/sp-o5'] },
  { name: '_id across types', query: '?_id=sp-p1,sp-dr', expect: ['Patient/sp-p1', 'Practitioner/sp-dr'] },
]

const compartment: Row[] = [
  { name: 'subject or performer; not another server\'s Patient', query: 'Patient/sp-p1/Observation', expect: ['sp-o1', 'sp-o4'] },
  { name: 'with a further parameter', query: 'Patient/sp-p1/Observation?code=c1', expect: ['sp-o1'] },
  { name: 'another patient', query: 'Patient/sp-p2/Observation', expect: ['sp-o2', 'sp-o4'] },
  { name: 'a reference written as an absolute URL on this server', query: 'Patient/sp-p3/Observation', expect: ['sp-o5'] },
  { name: 'Encounter', query: 'Patient/sp-p1/Encounter', expect: ['sp-e1'] },
  { name: 'Condition', query: 'Patient/sp-p1/Condition', expect: ['sp-c1'] },
  { name: 'nobody\'s compartment', query: 'Patient/nobody/Observation', expect: [] },
]

// The three smallest Synthea Bundles (~280 resources)
const DIR = new URL('../../../../shared/data/synthea/', import.meta.url).pathname
const SYNTHEA = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort((a, b) => statSync(join(DIR, a)).size - statSync(join(DIR, b)).size)
  .slice(0, 3)
  .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')))

t.test('system and compartment search', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, compartmentFixtures(hub.url))

  t.test('system search', async (t) => runTable(t, hub, 'system', system))
  t.test('POST [base]/_search (http.html#search)', async (t) => {
    const ids = await matchIds(hub, '_search', true, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `_type=Patient&_tag=${enc(`${TAGS}|sys`)}`,
    })
    t.same(ids.sort(), ['Patient/sp-p1', 'Patient/sp-p3'])
  })
  t.test('POST [type]/_search (http.html#search)', async (t) => {
    const ids = await matchIds(hub, 'Observation/_search?status=final', false, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'code=c2&subject=Patient/sp-p2',
    })
    t.same(ids.sort(), ['sp-o2', 'sp-o4'], 'parameters from the body and the URL')
  })
  t.test('paging a search across types (http.html#search, search.html#paging)', async (t) => {
    const query = `?_type=Patient,Observation&_tag=${enc(`${TAGS}|twin`)}`
    const all = await matchIds(hub, query, true)
    t.same(all.sort(), ['Observation/twin', 'Patient/twin'], 'one page: both')
    const walked: string[] = []
    let url: string | undefined = `${hub.url}/${query}&_count=1`
    for (let pages = 0; url && pages < 5; pages++) {
      const bundle: any = await (await fetch(url)).json()
      walked.push(...entriesOf(bundle, 'match').map((e: any) => `${e.resource.resourceType}/${e.resource.id}`))
      url = bundle.link.find((l: any) => l.relation === 'next')?.url
    }
    t.same(walked.sort(), all, `pages of one: both, each once (got ${walked.join(', ')})`)
  })
  t.test('compartment search', async (t) => runTable(t, hub, 'compartment', compartment))
  t.test('types outside the compartment are not listed (compartmentdefinition.html)', async (t) => {
    const { status, body } = await searchBundle(hub, 'Patient/sp-p1/Organization')
    t.ok(status !== 200 || entriesOf(body, 'match').length === 0, `no Organizations (status ${status})`)
  })

  t.test('Synthea patients (transaction Bundles)', async (t) => {
    const loaded: { patient: any; ref: string; resources: any[]; ids: Map<string, string> }[] = []
    for (const bundle of SYNTHEA) {
      const response: any = await hub.client.transaction({ body: bundle, options: { headers: { prefer: 'return=minimal' } } })
      const ids = new Map<string, string>()
      bundle.entry.forEach((e: any, i: number) => {
        ids.set(e.fullUrl, response.entry[i].response.location.replace(/^.*\/fhir\//, '').replace(/\/_history\/.*$/, ''))
      })
      const resources = bundle.entry.map((e: any) => e.resource)
      const patient = resources.find((r: any) => r.resourceType === 'Patient')
      loaded.push({ patient, ref: ids.get(bundle.entry.find((e: any) => e.resource === patient).fullUrl)!, resources, ids })
    }
    const newId = (l: (typeof loaded)[number], r: any) => l.ids.get(`urn:uuid:${r.id}`)!.split('/')[1]

    for (const l of loaded) {
      const family = l.patient.name[0].family
      const given = l.patient.name[0].given[0]
      const id = l.ref.split('/')[1]
      const of = (type: string) => l.resources.filter((r: any) => r.resourceType === type)
      const sortedIds = (list: any[]) => list.map((r) => newId(l, r)).sort()

      t.same(await matchIds(hub, `Patient?family=${enc(family)}&given=${enc(given.normalize('NFD').replace(/\p{M}/gu, ''))}`), [id], `${given} ${family} by family and unaccented given (search.html#string)`)
      t.same((await matchIds(hub, `Patient/${id}/Observation?_count=1000`)).sort(), sortedIds(of('Observation')), `${family}: compartment holds the Bundle's ${of('Observation').length} Observations (compartmentdefinition.html)`)
      const count = (await searchBundle(hub, `Observation?patient=${l.ref}&_summary=count`)).body.total
      t.equal(count, of('Observation').length, `${family}: _summary=count agrees`)
      const heights = of('Observation').filter((o: any) => o.code.coding.some((c: any) => c.system === 'http://loinc.org' && c.code === '8302-2'))
      t.same(
        (await matchIds(hub, `Observation?patient.family=${enc(family)}&code=${enc('http://loinc.org|8302-2')}`)).sort(),
        sortedIds(heights),
        `${family}: ${heights.length} body heights through a chain (search.html#chaining)`,
      )
      const late = of('Encounter').filter((e: any) => Date.parse(e.period.start) >= Date.parse('2015-01-02T00:00:00Z'))
      t.same(
        (await matchIds(hub, `Encounter?subject=${l.ref}&date=sa2015-01-01&_count=1000`)).sort(),
        sortedIds(late),
        `${family}: ${late.length} Encounters starting after 2015-01-01 (search.html#date)`,
      )
      const active = of('Condition').filter((c: any) => c.clinicalStatus.coding[0].code === 'active')
      t.same(
        (await matchIds(hub, `Condition?subject=${l.ref}&clinical-status=active`)).sort(),
        sortedIds(active),
        `${family}: ${active.length} active Conditions (search.html#token)`,
      )
      const rev: any = (await searchBundle(hub, `Patient?_id=${id}&_revinclude=Encounter:subject`)).body
      t.equal(entriesOf(rev, 'include').length, of('Encounter').length, `${family}: _revinclude brings the Encounters (search.html#revinclude)`)
    }

    const codes = new Set(loaded.flatMap((l) => l.resources.filter((r: any) => r.resourceType === 'Condition').map((c: any) => c.code.coding[0].code)))
    for (const c of codes) {
      const expected = loaded.filter((l) => l.resources.some((r: any) => r.resourceType === 'Condition' && r.code.coding[0].code === c)).map((l) => l.ref.split('/')[1])
      t.same(
        (await matchIds(hub, `Patient?_has:Condition:patient:code=${enc(`http://snomed.info/sct|${c}`)}`)).sort(),
        expected.sort(),
        `patients with condition ${c}: ${expected.length} (search.html#has)`,
      )
    }
  })

  t.test('the CapabilityStatement lists the search parameters and includes (capabilitystatement.html)', async (t) => {
    const cs: any = await (await hub.fetch('metadata')).json()
    const rest = cs.rest[0]
    const resource = (type: string) => rest.resource.find((r: any) => r.type === type)
    const params = (type: string) => Object.fromEntries(resource(type).searchParam.map((p: any) => [p.name, p.type]))
    const patient = params('Patient')
    t.equal(patient.family, 'string', 'Patient family (string)')
    t.equal(patient.birthdate, 'date', 'Patient birthdate (date)')
    t.equal(patient.identifier, 'token', 'Patient identifier (token)')
    t.equal(patient.organization, 'reference', 'Patient organization (reference)')
    t.equal(params('Observation')['value-quantity'], 'quantity', 'Observation value-quantity (quantity)')
    t.equal(params('Location').near, 'special', 'Location near is listed as special')
    t.ok(resource('Patient').searchInclude.includes('Patient:organization'), 'Patient searchInclude')
    t.ok(resource('Observation').searchInclude.includes('Observation:subject'), 'Observation searchInclude')
    t.ok(resource('Patient').searchRevInclude.includes('Observation:subject'), 'Patient searchRevInclude')
    t.ok(resource('Patient').interaction.some((i: any) => i.code === 'search-type'), 'search-type interaction')
    t.ok(rest.interaction.some((i: any) => i.code === 'search-system'), 'search-system interaction')
  })
})
