// Text-like parameter types, each area on a server of its own:
// - string (search.html#string): starts-with, case- and accent-insensitive by default, :exact (case
//   and accents count), :contains, escaping of ',' and LIKE wildcards;
// - uri (search.html#uri): exact, :below, :above; _profile and _source (search.html#all);
// - token (search.html#token): code, system|code, system|, |code, :not (which also matches resources
//   with no value), :text, :of-type, :missing, escaped '|'; on code, boolean, Identifier, ContactPoint,
//   Coding and CodeableConcept elements; _id, _tag and _security.
import t from 'tap'
import type { Resource } from '@medplum/fhirtypes'
import { startTestServer } from '../../helpers/test-server.js'
import { enc, putAll, runTable, type Row } from './helpers.js'

const named = (id: string, name?: object, extra: object = {}): Resource =>
  ({ resourceType: 'Patient', id, ...(name ? { name: [name] } : {}), ...extra }) as Resource

const stringFixtures: Resource[] = [
  named('zoe', { family: 'Smith', given: ['Zoë'] }, {
    address: [{ line: ['1 Heol y Frenhines'], city: 'Cardiff', postalCode: 'CF10 1AA' }],
    meta: { profile: ['http://example.org/fhir/StructureDefinition/casehub-patient'], source: 'http://gp.example.org/systems/emis#node-1' },
  }),
  named('sian', { family: 'Jones', given: ['Siân'] }, { address: [{ city: 'Llandudno' }] }),
  named('jose', { family: 'García', given: ['José'] }),
  named('jose2', { family: 'Garcia', given: ['Jose'] }),
  named('muller', { family: 'Müller', given: ['Hans'] }),
  named('mueller', { family: 'Mueller', given: ['Greta'] }),
  named('ozturk', { family: 'ÖZTÜRK', given: ['Elif'] }),
  named('smithson', { family: 'Smithson', given: ['Ann'] }),
  named('lower', { family: 'smith', given: ['Joe'] }, { meta: { source: 'http://hospital.example.org/pas' } }),
  named('under', { family: 'Under_score' }),
  named('textonly', { text: 'Dr Émile Zola' }),
  named('noname', undefined, { gender: 'unknown' }),
  { resourceType: 'Organization', id: 'org-ab', name: 'Alpha, Beta Ltd' },
  { resourceType: 'Organization', id: 'org-b', name: 'Beta Ltd' },
  { resourceType: 'Organization', id: 'org-alphabet', name: 'Alphabet' },
  { resourceType: 'Organization', id: 'org-g', name: 'Gamma' },
  ...[
    ['vs-a', 'http://example.org/fhir/ValueSet/a'],
    ['vs-ab', 'http://example.org/fhir/ValueSet/a/b'],
    ['vs-xy', 'http://example.org/fhir/ValueSet/x_y'],
    ['vs-other', 'http://other.example.org/ValueSet/a'],
  ].map(([id, url]) => ({ resourceType: 'ValueSet', id, url, status: 'active' }) as Resource),
]

const everyNamed = ['zoe', 'sian', 'jose', 'jose2', 'muller', 'mueller', 'ozturk', 'smithson', 'lower', 'under']

const strings: Row[] = [
  { name: 'starts-with, case-insensitive', query: 'Patient?family=smith', expect: ['zoe', 'lower', 'smithson'] },
  { name: 'upper-case value', query: 'Patient?family=SMITH', expect: ['zoe', 'lower', 'smithson'] },
  { name: 'a longer prefix narrows', query: 'Patient?family=smiths', expect: ['smithson'] },
  { name: 'Zoë found by zoe', query: 'Patient?given=zoe', expect: ['zoe'] },
  { name: 'ZOË (upper case, accented) found', query: `Patient?given=${enc('ZOË')}`, expect: ['zoe'] },
  { name: 'name covers given names', query: `Patient?name=${enc('zoë')}`, expect: ['zoe'] },
  { name: 'Siân found by sian', query: 'Patient?given=sian', expect: ['sian'] },
  { name: 'José and Jose both found by jose', query: 'Patient?given=jose', expect: ['jose', 'jose2'] },
  { name: 'accented value matches unaccented data too', query: `Patient?given=${enc('José')}`, expect: ['jose', 'jose2'] },
  { name: 'García found by garcia', query: 'Patient?family=garcia', expect: ['jose', 'jose2'] },
  { name: 'Müller found by muller, not Mueller', query: 'Patient?family=muller', expect: ['muller'] },
  { name: 'Mueller is not Müller', query: 'Patient?family=mueller', expect: ['mueller'] },
  { name: 'ÖZTÜRK found by ozturk', query: 'Patient?family=ozturk', expect: ['ozturk'] },
  { name: 'ÖZTÜRK found by öztürk', query: `Patient?family=${enc('öztürk')}`, expect: ['ozturk'] },
  { name: 'name matches HumanName.text', query: `Patient?name=${enc('dr émile')}`, expect: ['textonly'] },
  { name: 'name matches family and given', query: 'Patient?name=hans', expect: ['muller'] },
  { name: ':exact is case-sensitive (Smith)', query: 'Patient?family:exact=Smith', expect: ['zoe'] },
  { name: ':exact is case-sensitive (smith)', query: 'Patient?family:exact=smith', expect: ['lower'] },
  { name: ':exact with no such case', query: 'Patient?family:exact=SMITH', expect: [] },
  { name: ':exact is not a prefix match', query: 'Patient?family:exact=Smit', expect: [] },
  { name: ':exact keeps accents (Müller)', query: `Patient?family:exact=${enc('Müller')}`, expect: ['muller'] },
  { name: ':exact keeps accents (Muller)', query: 'Patient?family:exact=Muller', expect: [] },
  { name: ':exact on an accented given name', query: `Patient?given:exact=${enc('Zoë')}`, expect: ['zoe'] },
  { name: ':exact Zoe is not Zoë', query: 'Patient?given:exact=Zoe', expect: [] },
  { name: ':contains in the middle', query: 'Patient?family:contains=mith', expect: ['zoe', 'lower', 'smithson'] },
  { name: ':contains ignores case and accents', query: 'Patient?family:contains=ULL', expect: ['muller'] },
  { name: ':contains on HumanName.text', query: 'Patient?name:contains=zola', expect: ['textonly'] },
  { name: 'comma is OR', query: 'Patient?given=zoe,sian', expect: ['zoe', 'sian'] },
  { name: 'two parameters are AND', query: 'Patient?family=smith&given=zoe', expect: ['zoe'] },
  { name: 'a repeated parameter is AND', query: 'Patient?name=smith&name=joe', expect: ['lower'] },
  { name: 'AND of OR lists', query: 'Patient?name=smith,jones&name=zoe,sian', expect: ['zoe', 'sian'] },
  { name: 'address matches a line', query: `Patient?address=${enc('1 heol y')}`, expect: ['zoe'] },
  { name: 'address matches a city', query: 'Patient?address=llan', expect: ['sian'] },
  { name: 'address-city', query: 'Patient?address-city=CARDIFF', expect: ['zoe'] },
  { name: 'address-postalcode', query: `Patient?address-postalcode=${enc('cf10 1')}`, expect: ['zoe'] },
  { name: '% is not a wildcard', query: `Patient?family=${enc('%')}`, expect: [] },
  { name: '_ is not a wildcard', query: 'Patient?family:contains=_', expect: ['under'] },
  { name: '_ matches itself only', query: 'Patient?family=under_s', expect: ['under'] },
  { name: ':missing=true', query: 'Patient?family:missing=true', expect: ['textonly', 'noname'] },
  { name: ':missing=false', query: 'Patient?family:missing=false', expect: everyNamed },
  { name: 'an escaped comma is part of the value', query: `Organization?name=${enc('alpha\\, beta')}`, expect: ['org-ab'] },
  { name: 'an unescaped comma is OR', query: 'Organization?name=alpha,beta', expect: ['org-ab', 'org-b', 'org-alphabet'] },
]

const uris: Row[] = [
  { name: 'uri equality', query: `ValueSet?url=${enc('http://example.org/fhir/ValueSet/a')}`, expect: ['vs-a'] },
  { name: 'uri is case-sensitive', query: `ValueSet?url=${enc('http://example.org/fhir/ValueSet/A')}`, expect: [] },
  { name: 'uri equality is not a prefix match', query: `ValueSet?url=${enc('http://example.org/fhir/ValueSet/')}`, expect: [] },
  { name: ':below', query: `ValueSet?url:below=${enc('http://example.org/fhir/ValueSet/a')}`, expect: ['vs-a', 'vs-ab'] },
  { name: ':below a base', query: `ValueSet?url:below=${enc('http://example.org/fhir/')}`, expect: ['vs-a', 'vs-ab', 'vs-xy'] },
  { name: ':below with _ as a literal', query: `ValueSet?url:below=${enc('http://example.org/fhir/ValueSet/x_')}`, expect: ['vs-xy'] },
  { name: ':below with % as a literal', query: `ValueSet?url:below=${enc('http://example.org/fhir/ValueSet/%')}`, expect: [] },
  { name: ':above', query: `ValueSet?url:above=${enc('http://example.org/fhir/ValueSet/a/b/c')}`, expect: ['vs-a', 'vs-ab'] },
  { name: ':above the value itself', query: `ValueSet?url:above=${enc('http://example.org/fhir/ValueSet/a')}`, expect: ['vs-a'] },
  { name: ':above treats _ in stored urls literally', query: `ValueSet?url:above=${enc('http://example.org/fhir/ValueSet/xzy/1')}`, expect: [] },
  { name: '_profile', query: `Patient?_profile=${enc('http://example.org/fhir/StructureDefinition/casehub-patient')}`, expect: ['zoe'] },
  { name: '_source', query: `Patient?_source=${enc('http://hospital.example.org/pas')}`, expect: ['lower'] },
  { name: '_source:below', query: `Patient?_source:below=${enc('http://gp.example.org/')}`, expect: ['zoe'] },
]

t.test('string and uri search', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, stringFixtures)
  t.test('string', async (t) => runTable(t, hub, 'string', strings))
  t.test('uri', async (t) => runTable(t, hub, 'uri', uris))
})

const NHS = 'https://fhir.nhs.uk/Id/nhs-number'
const MRN = 'http://hospital.example.org/mrn'
const V2 = 'http://terminology.hl7.org/CodeSystem/v2-0203'
const TAGS = 'http://casehub.example.org/tags'
const LOINC = 'http://loinc.org'
const SCT = 'http://snomed.info/sct'
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category'

const tokenFixtures: Resource[] = [
  {
    resourceType: 'Patient',
    id: 'f1',
    meta: { tag: [{ system: TAGS, code: 'referral' }] },
    gender: 'female',
    active: true,
    identifier: [
      { system: NHS, value: '9434765919' },
      { system: MRN, value: 'MRN-1', type: { coding: [{ system: V2, code: 'MR' }], text: 'Medical record number' } },
    ],
    telecom: [
      { system: 'phone', value: '01632 960001' },
      { system: 'email', value: 'f1@example.org' },
    ],
  },
  {
    resourceType: 'Patient',
    id: 'm1',
    meta: { tag: [{ system: TAGS, code: 'triage' }] },
    gender: 'male',
    active: false,
    identifier: [{ system: MRN, value: 'MRN-2', type: { coding: [{ system: V2, code: 'MR' }] } }],
    telecom: [{ system: 'sms', value: '01632960002' }],
  },
  {
    resourceType: 'Patient',
    id: 'm2',
    meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] },
    gender: 'male',
    identifier: [{ value: 'local-7' }, { system: 'http://example.org/ids', value: 'A|1' }, { system: 'http://example.org/ids', value: 'DOMAIN\\user,2' }],
  },
  { resourceType: 'Patient', id: 'other', gender: 'other' },
  { resourceType: 'Patient', id: 'none' },
  observation('o-height', 'final', [{ system: LOINC, code: '8302-2', display: 'Body height' }, { system: SCT, code: '50373000', display: 'Body height measure' }], 'vital-signs'),
  observation('o-weight', 'final', [{ system: LOINC, code: '29463-7', display: 'Body weight' }], 'vital-signs'),
  {
    ...observation('o-bp', 'amended', [{ system: LOINC, code: '85354-9', display: 'Blood pressure panel' }], 'vital-signs'),
    component: [
      { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: 120, unit: 'mmHg' } },
      { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 80, unit: 'mmHg' } },
    ],
  } as Resource,
  { resourceType: 'Observation', id: 'o-note', status: 'preliminary', code: { text: 'Patient reported wellbeing' } },
  observation('o-lab', 'final', [{ system: LOINC, code: '718-7', display: 'Hemoglobin [Mass/volume] in Blood' }], 'laboratory'),
]

function observation(id: string, status: string, coding: object[], category: string): Resource {
  return {
    resourceType: 'Observation',
    id,
    status,
    category: [{ coding: [{ system: CATEGORY, code: category }] }],
    code: { coding: coding as any },
  } as Resource
}

const patients: Row[] = [
  { name: 'code', query: 'Patient?gender=female', expect: ['f1'] },
  { name: 'comma is OR', query: 'Patient?gender=male,other', expect: ['m1', 'm2', 'other'] },
  { name: ':not includes resources with no value', query: 'Patient?gender:not=male', expect: ['f1', 'other', 'none'] },
  { name: ':missing=true', query: 'Patient?gender:missing=true', expect: ['none'] },
  { name: ':missing=false', query: 'Patient?gender:missing=false', expect: ['f1', 'm1', 'm2', 'other'] },
  { name: 'boolean true', query: 'Patient?active=true', expect: ['f1'] },
  { name: 'boolean false', query: 'Patient?active=false', expect: ['m1'] },
  { name: 'boolean :not', query: 'Patient?active:not=true', expect: ['m1', 'm2', 'other', 'none'] },
  { name: 'system|value', query: `Patient?identifier=${enc(`${NHS}|9434765919`)}`, expect: ['f1'] },
  { name: 'value in any system', query: 'Patient?identifier=9434765919', expect: ['f1'] },
  { name: 'system| (any value in the system)', query: `Patient?identifier=${enc(`${MRN}|`)}`, expect: ['f1', 'm1'] },
  { name: '|value (no system)', query: `Patient?identifier=${enc('|local-7')}`, expect: ['m2'] },
  { name: '|value does not match a value that has a system', query: `Patient?identifier=${enc('|MRN-1')}`, expect: [] },
  { name: 'value in the wrong system', query: `Patient?identifier=${enc(`${NHS}|MRN-1`)}`, expect: [] },
  { name: 'escaped | in the value', query: `Patient?identifier=${enc('http://example.org/ids|A\\|1')}`, expect: ['m2'] },
  { name: 'escaped \\ and , in the value', query: `Patient?identifier=${enc('http://example.org/ids|DOMAIN\\\\user\\,2')}`, expect: ['m2'] },
  { name: ':of-type', query: `Patient?identifier:of-type=${enc(`${V2}|MR|MRN-1`)}`, expect: ['f1'] },
  { name: ':of-type needs the value on that type', query: `Patient?identifier:of-type=${enc(`${V2}|MR|9434765919`)}`, expect: [] },
  { name: ':text on Identifier.type.text', query: `Patient?identifier:text=${enc('medical record')}`, expect: ['f1'] },
  { name: 'ContactPoint value with a space', query: `Patient?phone=${enc('01632 960001')}`, expect: ['f1'] },
  { name: 'email', query: `Patient?email=${enc('f1@example.org')}`, expect: ['f1'] },
  { name: 'phone only matches phone contact points', query: 'Patient?phone=01632960002', expect: [] },
  { name: 'telecom matches any contact point', query: 'Patient?telecom=01632960002', expect: ['m1'] },
  { name: 'AND across parameters', query: 'Patient?identifier=9434765919&gender=male', expect: [] },
  { name: '_id', query: 'Patient?_id=f1,m1', expect: ['f1', 'm1'] },
  { name: '_tag system|code', query: `Patient?_tag=${enc(`${TAGS}|referral`)}`, expect: ['f1'] },
  { name: '_tag system|', query: `Patient?_tag=${enc(`${TAGS}|`)}`, expect: ['f1', 'm1'] },
  { name: '_tag:not includes untagged resources', query: `Patient?_tag:not=${enc(`${TAGS}|referral`)}`, expect: ['m1', 'm2', 'other', 'none'] },
  { name: '_tag:missing=true', query: 'Patient?_tag:missing=true', expect: ['m2', 'other', 'none'] },
  { name: '_security', query: `Patient?_security=${enc('http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R')}`, expect: ['m2'] },
]

const observations: Row[] = [
  { name: 'system|code', query: `Observation?code=${enc(`${LOINC}|8302-2`)}`, expect: ['o-height'] },
  { name: 'code in any system', query: 'Observation?code=8302-2', expect: ['o-height'] },
  { name: 'a second coding matches', query: 'Observation?code=50373000', expect: ['o-height'] },
  { name: 'code in another system does not match', query: `Observation?code=${enc(`${SCT}|8302-2`)}`, expect: [] },
  { name: 'system|', query: `Observation?code=${enc(`${LOINC}|`)}`, expect: ['o-height', 'o-weight', 'o-bp', 'o-lab'] },
  { name: 'OR', query: 'Observation?code=8302-2,29463-7', expect: ['o-height', 'o-weight'] },
  { name: 'AND over two codings of one concept', query: `Observation?code=${enc(`${LOINC}|8302-2`)}&code=${enc(`${SCT}|50373000`)}`, expect: ['o-height'] },
  { name: 'AND of codes no resource has together', query: `Observation?code=${enc(`${LOINC}|8302-2`)}&code=29463-7`, expect: [] },
  { name: ':text matches Coding.display', query: 'Observation?code:text=body', expect: ['o-height', 'o-weight'] },
  { name: ':text matches CodeableConcept.text', query: `Observation?code:text=${enc('patient reported')}`, expect: ['o-note'] },
  { name: ':text ignores case', query: `Observation?code:text=${enc('BLOOD pressure')}`, expect: ['o-bp'] },
  { name: ':not', query: `Observation?code:not=${enc(`${LOINC}|8302-2`)}`, expect: ['o-weight', 'o-bp', 'o-note', 'o-lab'] },
  { name: ':not on a CodeableConcept includes resources without one', query: 'Observation?category:not=vital-signs', expect: ['o-note', 'o-lab'] },
  { name: ':missing=true', query: 'Observation?category:missing=true', expect: ['o-note'] },
  { name: 'code element', query: 'Observation?status=final', expect: ['o-height', 'o-weight', 'o-lab'] },
  { name: ':not on a code element', query: 'Observation?status:not=final', expect: ['o-bp', 'o-note'] },
  { name: 'component-code', query: 'Observation?component-code=8480-6', expect: ['o-bp'] },
  { name: 'combo-code covers code and component code', query: 'Observation?combo-code=8480-6,8302-2', expect: ['o-bp', 'o-height'] },
]

t.test('token search', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, tokenFixtures)
  t.test('Patient tokens', async (t) => runTable(t, hub, 'token', patients))
  t.test('Observation tokens', async (t) => runTable(t, hub, 'token', observations))
})
