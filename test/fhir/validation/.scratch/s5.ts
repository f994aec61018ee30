import { readFileSync, readdirSync } from 'node:fs'
import { checkResource, initValidation } from '../../../../src/fhir/validation/index.js'
initValidation()
const ext = (url: string, v: object) => ({ url, ...v })
const cases: Record<string, any> = {
  nullPairs: { resourceType: 'Patient', name: [{ given: ['a', null], _given: [null, { extension: [ext('http://x.org/e', { valueString: 'x' })] }] }] },
  badNullPairs: { resourceType: 'Patient', name: [{ given: ['a', null] }] },
  statusAbsent: { resourceType: 'Observation', _status: { extension: [ext('http://hl7.org/fhir/StructureDefinition/data-absent-reason', { valueCode: 'unknown' })] }, code: { text: 'x' } },
  containedRef: { resourceType: 'Patient', contained: [{ resourceType: 'Practitioner', id: 'p1', name: [{ family: 'X' }] }], generalPractitioner: [{ reference: '#p1' }] },
  narrative: { resourceType: 'Patient', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><p class="x">Hello <b>world</b></p><table><tr><td>1</td></tr></table></div>' } },
  narrativeNoNs: { resourceType: 'Patient', text: { status: 'generated', div: '<div>Hello</div>' } },
  nestedExt: { resourceType: 'Patient', extension: [{ url: 'http://x.org/a', extension: [{ url: 'b', valueString: 'x' }, { url: 'c', valueInteger: 2 }] }] },
  periodMixedPrecision: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, period: { start: '2020-01-01', end: '2020-01-01T10:00:00Z' } },
  periodTz: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, period: { start: '2020-01-01T10:00:00+02:00', end: '2020-01-01T09:00:00Z' } },
  periodYear: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, period: { start: '2020', end: '2020-06' } },
  periodBad: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, period: { start: '2021-01-01', end: '2020-01-01' } },
  quantityCmp: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueQuantity: { value: 0.001, comparator: '<', unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } },
  obs6: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueString: 'x', dataAbsentReason: { text: 'x' } },
  pat1: { resourceType: 'Patient', contact: [{ gender: 'male' }] },
  refDisplay: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { display: 'Someone' }, performer: [{ identifier: { value: '1' } }] },
  absUrlRef: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'http://example.org/fhir/Patient/1' } },
  qr: { resourceType: 'QuestionnaireResponse', status: 'completed', item: [{ linkId: '1', item: [{ linkId: '1.1', answer: [{ valueString: 'x', item: [{ linkId: '1.1.1', answer: [{ valueBoolean: true }] }] }] }] }] },
  questionnaire: { resourceType: 'Questionnaire', status: 'active', item: [{ linkId: '1', type: 'group', item: [{ linkId: '1.1', type: 'string', text: 'Q' }, { linkId: '1.2', type: 'display', text: 'D' }] }] },
  instantFrac: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, issued: '2020-01-01T10:00:00.123456+05:30', effectiveDateTime: '2020-01-01T10:00:00.1Z' },
  choiceConflict: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueString: 'x', valueBoolean: true },
  doc: { resourceType: 'Bundle', type: 'document', identifier: { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0' }, timestamp: '2020-01-01T00:00:00Z', entry: [{ fullUrl: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e1', resource: { resourceType: 'Composition', status: 'final', type: { text: 'x' }, date: '2020-01-01', author: [{ display: 'x' }], title: 'T' } }] },
  searchset: { resourceType: 'Bundle', type: 'searchset', total: 1, link: [{ relation: 'self', url: 'http://x/Patient' }], entry: [{ fullUrl: 'http://x/Patient/1', resource: { resourceType: 'Patient', id: '1' }, search: { mode: 'match' } }] },
  txResp: { resourceType: 'Bundle', type: 'transaction-response', entry: [{ response: { status: '201 Created', location: 'Patient/1/_history/1' } }] },
  params: { resourceType: 'Parameters', parameter: [{ name: 'a', valueString: 'x' }, { name: 'b', resource: { resourceType: 'Patient' } }, { name: 'c', part: [{ name: 'd', valueInteger: 1 }] }] },
  binary: { resourceType: 'Binary', contentType: 'text/plain', data: 'aGVsbG8=' },
  medReqDosage: { resourceType: 'MedicationRequest', status: 'active', intent: 'order', medicationCodeableConcept: { text: 'x' }, subject: { reference: 'Patient/1' }, dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', boundsPeriod: { start: '2020-01-01' } } }, doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet' } }] }] },
  sdl: { resourceType: 'Patient', language: 'en-GB', meta: { versionId: '1', lastUpdated: '2020-01-01T00:00:00Z', profile: ['http://hl7.org/fhir/StructureDefinition/Patient'], tag: [{ system: 'http://x', code: 'y' }] }, identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9000000009' }], telecom: [{ system: 'phone', value: '0161 000 0000', use: 'home' }], address: [{ line: ['1 Road'], postalCode: 'M1 1AA', country: 'GB' }], communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en' }] }, preferred: true }], multipleBirthInteger: 2, deceasedBoolean: false },
  nbsp: { resourceType: 'Patient', name: [{ text: 'A\u00a0B' }] },
  emoji: { resourceType: 'Patient', name: [{ text: 'A 😀 ü' }] },
  careplan: { resourceType: 'CarePlan', status: 'active', intent: 'plan', subject: { reference: 'Patient/1' }, activity: [{ detail: { status: 'scheduled', code: { text: 'x' } } }] },
  condition: { resourceType: 'Condition', subject: { reference: 'Patient/1' }, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] }, verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] }, onsetAge: { value: 40, unit: 'years', system: 'http://unitsofmeasure.org', code: 'a' } },
  task: { resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: 'Patient/1' }, restriction: { period: { end: '2020-01-01' } }, input: [{ type: { text: 'x' }, valueString: 'y' }] },
  consent: { resourceType: 'Consent', status: 'active', scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] }, category: [{ text: 'x' }], policyRule: { text: 'x' } },
}
for (const [name, r] of Object.entries(cases)) {
  const issues = checkResource(r)
  console.log(name.padEnd(22), JSON.stringify(issues.map(i => `${i.severity[0]}:${i.code}:${i.diagnostics} @${i.expression?.[0]}`)))
}
const dir = '/work/shared/data/synthea/'
const f = readdirSync(dir).filter(f => f.endsWith('.json'))[0]
const b = JSON.parse(readFileSync(dir + f, 'utf8'))
let t = performance.now(); const issues = checkResource(b); console.log('whole bundle', b.entry.length, 'entries', (performance.now() - t).toFixed(0), 'ms', issues.filter(i => i.severity === 'error').slice(0, 5), issues.length)
