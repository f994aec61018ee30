// $stratify at the edges of the RiskStratification rules (rules/RiskStratification.cql): an A&E
// attendance or emergency admission just inside vs just outside the 12-month lookback (both
// ends, and across a time zone offset), a score exactly at each tier threshold vs one below,
// the age bands' edges (birthday on the assessment day vs the day after) and the adult edge
// that decides a proposal. Real server, real PostgreSQL, hand-built patients.
import t from 'tap'
import type { Encounter, Patient, Resource } from '@medplum/fhirtypes'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { Population } from '../../src/generate/index.js'

// The lookback is [Assessment Date - 12 months, Assessment Date]: 2024-10-15T12:00:00Z to here.
const ASSESSED = '2025-10-15T12:00:00Z'
const PRACTICE = { ods: 'P91003', reference: 'Organization/gp-P91003' }
const MIDDLE_AGED = '1985-06-01'

const patient = (id: string, birthDate = MIDDLE_AGED): Patient => ({
  resourceType: 'Patient', id, birthDate, gender: 'female', name: [{ family: 'Boundary', given: [id] }],
  generalPractitioner: [{ reference: PRACTICE.reference }],
})

const ae = (patientId: string, n: number, start: string): Encounter => ({
  resourceType: 'Encounter', id: `${patientId}-ae-${n}`, status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'EMER' },
  subject: { reference: `Patient/${patientId}` }, period: { start, end: start },
})

const admission = (patientId: string, n: number, start: string): Encounter => ({
  resourceType: 'Encounter', id: `${patientId}-adm-${n}`, status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
  priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActPriority', code: 'EM' }] },
  subject: { reference: `Patient/${patientId}` }, period: { start },
})

/** A patient with `admissions` emergency admissions (3 points each) and `attendances` A&E attendances (2 each), well inside the lookback. */
function scored(id: string, admissions: number, attendances: number, birthDate = MIDDLE_AGED): Resource[] {
  const day = (i: number) => `2025-05-${String(i + 1).padStart(2, '0')}T10:00:00Z`
  return [
    patient(id, birthDate),
    ...Array.from({ length: admissions }, (_, i) => admission(id, i, day(i))),
    ...Array.from({ length: attendances }, (_, i) => ae(id, i, day(10 + i))),
  ]
}

interface Case {
  id: string
  resources: Resource[]
  score: number
  tier: string
  proposed?: boolean
}

const CASES: Case[] = [
  // lookback start: inclusive, to the second; an offset moves the instant, not the wall clock
  { id: 'ae-at-lookback-start', resources: [patient('ae-at-lookback-start'), ae('ae-at-lookback-start', 0, '2024-10-15T12:00:00Z')], score: 2, tier: 'below-threshold' },
  { id: 'ae-before-lookback', resources: [patient('ae-before-lookback'), ae('ae-before-lookback', 0, '2024-10-15T11:59:59Z')], score: 0, tier: 'below-threshold' },
  { id: 'adm-inside-offset', resources: [patient('adm-inside-offset'), admission('adm-inside-offset', 0, '2024-10-15T13:30:00+01:00')], score: 3, tier: 'below-threshold' },
  { id: 'adm-outside-offset', resources: [patient('adm-outside-offset'), admission('adm-outside-offset', 0, '2024-10-15T12:30:00+01:00')], score: 0, tier: 'below-threshold' },
  // a start given as a date only: on the lookback's first day it may be before or after 12:00,
  // which CQL answers as uncertain (not counted); the next day is inside
  { id: 'ae-date-on-lookback-start', resources: [patient('ae-date-on-lookback-start'), ae('ae-date-on-lookback-start', 0, '2024-10-15')], score: 0, tier: 'below-threshold' },
  { id: 'ae-date-after-lookback-start', resources: [patient('ae-date-after-lookback-start'), ae('ae-date-after-lookback-start', 0, '2024-10-16')], score: 2, tier: 'below-threshold' },
  // lookback end: the assessment moment itself counts, a second later does not
  { id: 'ae-at-assessment', resources: [patient('ae-at-assessment'), ae('ae-at-assessment', 0, ASSESSED)], score: 2, tier: 'below-threshold' },
  { id: 'ae-after-assessment', resources: [patient('ae-after-assessment'), ae('ae-after-assessment', 0, '2025-10-15T12:00:01Z')], score: 0, tier: 'below-threshold' },
  // thresholds 6 / 10 / 14: at each one, and one point below
  { id: 'score-5', resources: scored('score-5', 1, 1), score: 5, tier: 'below-threshold' },
  { id: 'score-6', resources: scored('score-6', 2, 0), score: 6, tier: 'mild', proposed: false },
  { id: 'score-9', resources: scored('score-9', 3, 0), score: 9, tier: 'mild', proposed: false },
  { id: 'score-10', resources: scored('score-10', 2, 2), score: 10, tier: 'moderate', proposed: true },
  { id: 'score-13', resources: scored('score-13', 3, 2), score: 13, tier: 'moderate', proposed: true },
  { id: 'score-14', resources: scored('score-14', 4, 1), score: 14, tier: 'severe', proposed: true },
  // age bands 65-74 / 75-84 / 85+ (1 / 2 / 3 points): the birthday on the assessment day counts
  { id: 'age-64', resources: [patient('age-64', '1960-10-16')], score: 0, tier: 'below-threshold' },
  { id: 'age-65', resources: [patient('age-65', '1960-10-15')], score: 1, tier: 'below-threshold' },
  { id: 'age-74', resources: [patient('age-74', '1950-10-16')], score: 1, tier: 'below-threshold' },
  { id: 'age-75', resources: [patient('age-75', '1950-10-15')], score: 2, tier: 'below-threshold' },
  { id: 'age-84', resources: [patient('age-84', '1940-10-16')], score: 2, tier: 'below-threshold' },
  { id: 'age-85', resources: [patient('age-85', '1940-10-15')], score: 3, tier: 'below-threshold' },
  // adults only are proposed: 18 today vs 18 tomorrow, both moderate (4 admissions, 12 points)
  { id: 'age-17-moderate', resources: scored('age-17-moderate', 4, 0, '2007-10-16'), score: 12, tier: 'moderate', proposed: false },
  { id: 'age-18-moderate', resources: scored('age-18-moderate', 4, 0, '2007-10-15'), score: 12, tier: 'moderate', proposed: true },
]

async function post(hub: TestServer, path: string, body: object) {
  return hub.fetch(path, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) })
}

t.test('$stratify at the edges of the rules', async (t) => {
  const hub = await startTestServer(t)
  const resources = [...new Population('boundaries').organizations(), ...CASES.flatMap((c) => c.resources)]
  const loaded = await post(hub, '', {
    resourceType: 'Bundle', type: 'transaction',
    entry: resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
  })
  t.equal(loaded.status, 200, 'cases loaded')

  const res = await post(hub, '$stratify', {
    resourceType: 'Parameters',
    parameter: [{ name: 'date', valueDateTime: ASSESSED }, { name: 'practice', valueString: PRACTICE.ods }],
  })
  t.equal(res.status, 200)
  const summary: any = await res.json()
  const value = (name: string) => summary.parameter.find((p: any) => p.name === name)?.valueInteger
  t.equal(value('assessed'), CASES.length, 'every case assessed')

  const bundle: any = await (await hub.fetch('RiskAssessment?_count=100')).json()
  const bySubject = new Map<string, any>(bundle.entry.map((e: any) => [e.resource.subject.reference.split('/')[1], e.resource]))
  const tasks: any = await (await hub.fetch('Task?intent=proposal&_count=100')).json()
  const proposed = new Set((tasks.entry ?? []).map((e: any) => e.resource.for.reference.split('/')[1]))
  for (const c of CASES) {
    const ra = bySubject.get(c.id)
    t.ok(ra, `${c.id}: assessed`)
    if (!ra) continue
    const prediction = ra.prediction[0]
    t.equal(Number(/^Score (\d+)/.exec(prediction.rationale)?.[1]), c.score, `${c.id}: score ${c.score} (${prediction.rationale})`)
    t.equal(prediction.qualitativeRisk.coding[0].code, c.tier, `${c.id}: ${c.tier}`)
    t.equal(proposed.has(c.id), c.proposed === true, `${c.id}: ${c.proposed ? '' : 'not '}proposed`)
  }
  t.equal(value('proposals'), CASES.filter((c) => c.proposed).length, 'the summary counts the proposals')
  t.equal(proposed.size, CASES.filter((c) => c.proposed).length)

  t.test('the rationale names the age band that scored', async (t) => {
    t.match(bySubject.get('age-65').prediction[0].rationale, /Age in years 65 \(1\)/)
    t.match(bySubject.get('age-85').prediction[0].rationale, /Age in years 85 \(3\)/)
    t.match(bySubject.get('score-14').prediction[0].rationale, /Emergency admissions 4 \(12\), A&E attendances 1 \(2\)/)
  })
})
