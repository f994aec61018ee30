// $stratify with tier thresholds as inputs (the RiskStratification library's parameters "Mild
// Threshold", "Moderate Threshold", "Severe Threshold"), their validation (400 naming the
// parameter by FHIRPath), and RiskAssessment.basis (riskassessment.html: "the source data
// considered as part of the assessment") listing the encounters and conditions the score counted.
// Real server, real PostgreSQL, a few hand-built patients.
import t from 'tap'
import type { Condition, Encounter, Patient, Resource } from '@medplum/fhirtypes'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { Population } from '../../src/generate/index.js'

const PRACTICE = { ods: 'P91003', reference: 'Organization/gp-P91003' }
const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode'

const patient = (id: string): Patient => ({
  resourceType: 'Patient', id, birthDate: '1985-06-01', name: [{ family: 'Threshold', given: [id] }], generalPractitioner: [{ reference: PRACTICE.reference }],
})
const encounter = (id: string, patientId: string, start: string, more: Partial<Encounter>): Encounter => ({
  resourceType: 'Encounter', id, status: 'finished', class: { system: ACT, code: 'AMB' }, subject: { reference: `Patient/${patientId}` }, period: { start, end: start }, ...more,
})
const admission = (id: string, p: string, start: string) =>
  encounter(id, p, start, { class: { system: ACT, code: 'IMP' }, priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActPriority', code: 'EM' }] } })
const ae = (id: string, p: string, start: string) => encounter(id, p, start, { class: { system: ACT, code: 'EMER' } })
const gp = (id: string, p: string, start: string) => encounter(id, p, start, { type: [{ coding: [{ system: 'http://snomed.info/sct', code: '185202000' }] }] })

/** `admissions` emergency admissions (3 points each) and `attendances` A&E attendances (2 each), in May 2025. */
function scored(id: string, admissions: number, attendances: number): Resource[] {
  const day = (i: number) => `2025-05-${String(i + 1).padStart(2, '0')}T10:00:00Z`
  return [
    patient(id),
    ...Array.from({ length: admissions }, (_, i) => admission(`${id}-adm-${i}`, id, day(i))),
    ...Array.from({ length: attendances }, (_, i) => ae(`${id}-ae-${i}`, id, day(10 + i))),
  ]
}

const heartFailure: Condition = {
  resourceType: 'Condition', id: 'th-8-hf', subject: { reference: 'Patient/th-8' }, code: { coding: [{ system: 'http://snomed.info/sct', code: '84114007' }] },
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
}

// Score 8 = an admission (3) + an A&E attendance (2) + heart failure (2) + 4 GP contacts (1);
// a planned encounter and an A&E attendance long before either lookback count for nothing.
const COUNTED = ['Encounter/th-8-adm-0', 'Encounter/th-8-ae-0', 'Condition/th-8-hf', ...[0, 1, 2, 3].map((i) => `Encounter/th-8-gp-${i}`)]
const EIGHT: Resource[] = [
  ...scored('th-8', 1, 1), heartFailure,
  ...[0, 1, 2, 3].map((i) => gp(`th-8-gp-${i}`, 'th-8', `2025-06-0${i + 1}T09:00:00Z`)),
  encounter('th-8-planned', 'th-8', '2025-06-20T09:00:00Z', { status: 'planned', class: { system: ACT, code: 'EMER' } }),
  ae('th-8-old-ae', 'th-8', '2024-06-01T10:00:00Z'),
]
const PATIENTS = ['th-5', 'th-6', 'th-8', 'th-10']

async function post(hub: TestServer, path: string, body: object) {
  const res = await hub.fetch(path, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as any }
}

const stratify = (hub: TestServer, date: string, more: object[] = []) =>
  post(hub, '$stratify', { resourceType: 'Parameters', parameter: [{ name: 'date', valueDateTime: date }, { name: 'practice', valueString: PRACTICE.ods }, ...more] })

/** Tier and basis of each patient's RiskAssessment in the cycle. */
async function assessments(hub: TestServer, cycle: string): Promise<Map<string, { tier: string; basis: string[] }>> {
  const bundle: any = await (await hub.fetch(`RiskAssessment?identifier=https://casehub.org/fhir/Id/risk-assessment|&_count=100`)).json()
  const out = new Map<string, { tier: string; basis: string[] }>()
  for (const { resource } of bundle.entry ?? []) {
    if (!resource.identifier[0].value.startsWith(`${cycle}/`)) continue
    out.set(resource.subject.reference.split('/')[1], {
      tier: resource.prediction[0].qualitativeRisk.coding[0].code,
      basis: (resource.basis ?? []).map((b: any) => b.reference),
    })
  }
  return out
}

t.test('$stratify thresholds and RiskAssessment.basis', async (t) => {
  const hub = await startTestServer(t)
  const resources = [...new Population('thresholds').organizations(), ...scored('th-5', 1, 1), ...scored('th-6', 2, 0), ...EIGHT, ...scored('th-10', 2, 2)]
  const loaded = await post(hub, '', { resourceType: 'Bundle', type: 'transaction', entry: resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })) })
  t.equal(loaded.status, 200, 'patients loaded')

  t.test('bad thresholds: 400 naming the parameter by FHIRPath, nothing assessed', async (t) => {
    const bad = async (parameters: object[], at: string, pattern: RegExp, name: string) => {
      const res = await stratify(hub, '2025-10-15T12:00:00Z', parameters)
      t.equal(res.status, 400, name)
      t.equal(res.body.resourceType, 'OperationOutcome')
      t.same(res.body.issue[0].expression, [at], `${name}: at ${at}`)
      t.match(res.body.issue[0].diagnostics, pattern)
    }
    // parameter[0] is date and parameter[1] practice: the thresholds follow
    await bad([{ name: 'mildThreshold', valueInteger: 8 }, { name: 'moderateThreshold', valueInteger: 8 }], 'Parameters.parameter[3].value', /ascend/, 'moderate not above mild')
    await bad([{ name: 'severeThreshold', valueInteger: 9 }], 'Parameters.parameter[2].value', /severeThreshold is out of order/, 'severe below the library\'s moderate (10)')
    await bad([{ name: 'mildThreshold', valueDecimal: 6.5 }], 'Parameters.parameter[2].value', /whole number/, 'not a whole number')
    await bad([{ name: 'moderateThreshold', valueString: 'ten' }], 'Parameters.parameter[2].value', /whole number/, 'not a number')
    await bad([{ name: 'mildThreshold', valueInteger: -1 }], 'Parameters.parameter[2].value', /0 or more/, 'negative')
    t.equal((await assessments(hub, '2025-10-01')).size, 0, 'no RiskAssessment written')
  })

  t.test('the library\'s thresholds (6 / 10 / 14), and the basis', async (t) => {
    const res = await stratify(hub, '2025-10-15T12:00:00Z')
    t.equal(res.status, 200)
    const byPatient = await assessments(hub, '2025-10-01')
    t.same(PATIENTS.map((p) => byPatient.get(p)?.tier), ['below-threshold', 'mild', 'mild', 'moderate'])
    const thresholds = res.body.parameter.filter((p: any) => p.name === 'threshold').map((p: any) => [p.part[0].valueCode, p.part[1].valueInteger])
    t.same(thresholds, [['mild', 6], ['moderate', 10], ['severe', 14]], 'the summary gives the thresholds used')
    t.same([...byPatient.get('th-8')!.basis].sort(), [...COUNTED].sort(), 'basis: the counted encounters and condition, not the planned or old ones')
    t.same(byPatient.get('th-8')!.basis.slice(0, 2), ['Encounter/th-8-adm-0', 'Encounter/th-8-ae-0'], 'unplanned care first')
    t.same(byPatient.get('th-6')!.basis, ['Encounter/th-6-adm-0', 'Encounter/th-6-adm-1'])
  })

  t.test('lower thresholds (3 / 6 / 12) in the next cycle move patients up', async (t) => {
    const res = await stratify(hub, '2026-01-15T12:00:00Z', [
      { name: 'mildThreshold', valueInteger: 3 }, { name: 'moderateThreshold', valueInteger: 6 }, { name: 'severeThreshold', valueInteger: 12 },
    ])
    t.equal(res.status, 200, JSON.stringify(res.body.issue ?? ''))
    const byPatient = await assessments(hub, '2026-01-01')
    t.same(PATIENTS.map((p) => byPatient.get(p)?.tier), ['mild', 'moderate', 'moderate', 'moderate'])
    const tier = (code: string) => res.body.parameter.find((p: any) => p.name === 'tier' && p.part[0].valueCode === code).part[1].valueInteger
    t.same([tier('below-threshold'), tier('mild'), tier('moderate'), tier('severe')], [0, 1, 3, 0], 'the summary counts them')
  })
})
