// Handcrafted eligibility scenarios (issue 5's criteria and boundaries), shared by the pure rules
// test and the $eligibility HTTP test. Every scenario is assessed at its referral's authoredOn
// (ASSESSED) unless it has no referral, when the test passes ASSESSED itself.
import type { Bundle, BundleEntry, Patient, Resource, ServiceRequest } from '@medplum/fhirtypes'
import { gpPractices } from '../../src/generate/practices.js'
import type { Route } from '../../src/rules/index.js'

export const ASSESSED = '2025-06-30T10:00:00+01:00'
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code'
const SCT = 'http://snomed.info/sct'
const SERVICE_TYPE = 'https://casehub.org/fhir/CodeSystem/service-type'

const trafford = gpPractices().find((p) => p.borough === 'Trafford')!
const manchester = gpPractices().find((p) => p.borough === 'Manchester')!
const org = (ods: string): Resource => ({ resourceType: 'Organization', id: `gp-${ods}`, identifier: [{ system: ODS, value: ods }], name: `Practice ${ods}` })

export type Met = Record<string, boolean | null>
export interface Scenario {
  id: string
  name: string
  resources: Resource[]
  referral?: ServiceRequest
  route: Route
  /** expected criteria (null: unknown); those not named are not checked */
  met: Met
}

const cc = (system: string, code: string) => ({ coding: [{ system, code }] })
const sct = (code: string) => cc(SCT, code)
const clinical = (code: string) => cc('http://terminology.hl7.org/CodeSystem/condition-clinical', code)

interface Facts {
  birthDate?: string | null
  gp?: Patient['generalPractitioner'] | null
  extra?: (pid: string) => Resource[]
  /** a referral: its priority, reasons; `false` for none */
  referral?: false | Partial<ServiceRequest>
  /** the long-term condition (default heart failure 84114007); null for none */
  ltc?: string | null
  /** an A&E attendance three months before (default true) */
  recentAE?: boolean
}

/** A patient who meets every criterion unless `facts` say otherwise. */
function scenario(id: string, name: string, route: Route, met: Met, facts: Facts = {}): Scenario {
  const pid = `elig-${id}`
  const resources: Resource[] = [org(trafford.ods), org(manchester.ods)]
  const patient: Patient = { resourceType: 'Patient', id: pid, name: [{ family: `Scenario${id}` }] }
  if (facts.birthDate !== null) patient.birthDate = facts.birthDate ?? '1950-03-15'
  if (facts.gp !== null) patient.generalPractitioner = facts.gp ?? [{ reference: `Organization/gp-${trafford.ods}` }]
  resources.unshift(patient)
  if (facts.ltc !== null) resources.push(condition(pid, 'ltc', facts.ltc ?? '84114007'))
  if (facts.recentAE ?? true) resources.push(encounter(pid, 'ae', 'EMER', '2025-03-30T14:00:00Z'))
  resources.push(...(facts.extra?.(pid) ?? []))
  let referral: ServiceRequest | undefined
  if (facts.referral !== false) {
    referral = {
      resourceType: 'ServiceRequest', id: `${pid}-sr`, status: 'active', intent: 'order', priority: 'routine',
      subject: { reference: `Patient/${pid}` }, authoredOn: ASSESSED, code: sct('306206005'),
      ...(facts.ltc !== null ? { reasonReference: [{ reference: `Condition/${pid}-ltc` }] } : {}),
      ...facts.referral,
    }
    resources.push(referral)
  }
  return { id, name, resources, referral, route, met }
}

export function condition(pid: string, key: string, code: string, more: Record<string, unknown> = {}): Resource {
  return { resourceType: 'Condition', id: `${pid}-${key}`, subject: { reference: `Patient/${pid}` }, clinicalStatus: clinical('active'), code: sct(code), ...more } as Resource
}

export function encounter(pid: string, key: string, cls: string, start: string, more: Record<string, unknown> = {}): Resource {
  return {
    resourceType: 'Encounter', id: `${pid}-${key}`, status: 'finished', subject: { reference: `Patient/${pid}` },
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: cls }, period: { start, end: start }, ...more,
  } as Resource
}

/**
 * A GP system's transaction for an acutely unwell patient (priority asap) of practice `ods`:
 * the Patient (born 1950), a long-term condition, an A&E attendance, and the referral, last.
 * `before` entries (an Organization, say) come first.
 */
export function acuteReferralBundle(pid: string, ods: string, before: Resource[] = []): Bundle {
  const resources: Resource[] = [
    ...before,
    { resourceType: 'Patient', id: pid, birthDate: '1950-03-15', name: [{ family: 'Acute' }], generalPractitioner: [{ reference: `Organization/gp-${ods}` }] },
    condition(pid, 'ltc', '84114007'),
    encounter(pid, 'ae', 'EMER', '2025-03-30T14:00:00Z'),
  ]
  const entry: BundleEntry[] = resources.map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } }))
  entry.push({
    resource: {
      resourceType: 'ServiceRequest',
      meta: { profile: ['https://casehub.org/fhir/StructureDefinition/casehub-referral'] },
      status: 'active',
      intent: 'order',
      priority: 'asap',
      category: [{ coding: [{ system: SCT, code: '3457005', display: 'Patient referral' }] }],
      code: { text: 'Referral to community case management' },
      subject: { reference: `Patient/${pid}` },
      requester: { reference: `Organization/gp-${ods}` },
      authoredOn: ASSESSED,
      reasonReference: [{ reference: `Condition/${pid}-ltc` }],
    },
    request: { method: 'POST', url: 'ServiceRequest' },
  })
  return { resourceType: 'Bundle', type: 'transaction', entry }
}

function observation(pid: string, key: string, code: string, effective: string, more: Record<string, unknown> = {}): Resource {
  return { resourceType: 'Observation', id: `${pid}-${key}`, status: 'final', subject: { reference: `Patient/${pid}` }, code: sct(code), effectiveDateTime: effective, ...more } as Resource
}

function episode(pid: string, key: string, type: ReturnType<typeof cc>, status: string, more: Record<string, unknown> = {}): Resource {
  return { resourceType: 'EpisodeOfCare', id: `${pid}-${key}`, status, type: [type], patient: { reference: `Patient/${pid}` }, period: { start: '2025-01-01' }, ...more } as Resource
}

const EMERGENCY_PRIORITY = cc('http://terminology.hl7.org/CodeSystem/v3-ActPriority', 'EM')
const ok: Met = {
  Adult: true, 'Registered With Service Practice': true, 'Has Chronic Long Term Condition': true, 'At Risk Of Deterioration': true,
  'Not Under Specialist Nurse': true, Pregnant: false, 'Receiving End Of Life Care': false, 'Resident In Nursing Home': false,
  'Presenting With Mental Health Or Substance Misuse': false, 'Acutely Unwell': false,
}
const noAE = { recentAE: false }

export const SCENARIOS: Scenario[] = [
  scenario('01', 'meets every criterion', 'case-management', ok),
  // Adult
  scenario('02', 'on the day of the 18th birthday', 'case-management', { Adult: true }, { birthDate: '2007-06-30', ltc: '195967001' }),
  scenario('03', 'the day before the 18th birthday', 'not-eligible', { Adult: false }, { birthDate: '2007-07-01', ltc: '195967001' }),
  scenario('04', 'a child who is acutely unwell: under 18 comes first', 'not-eligible', { Adult: false, 'Acutely Unwell': true }, { birthDate: '2015-01-01', ltc: '195967001', referral: { priority: 'asap' } }),
  scenario('05', 'no birth date', 'data-required', { Adult: null }, { birthDate: null }),
  scenario('06', 'no birth date and acutely unwell', 'crisis-response', { Adult: null, 'Acutely Unwell': true }, { birthDate: null, referral: { priority: 'asap' } }),
  // Registered practice
  scenario('07', 'no registered practice', 'data-required', { 'Registered With Service Practice': null }, { gp: null }),
  scenario('08', 'registered with a Manchester practice (by reference)', 'not-eligible', { 'Registered With Service Practice': false }, { gp: [{ reference: `Organization/gp-${manchester.ods}` }] }),
  scenario('09', 'a Trafford practice by ODS identifier only (logical reference)', 'case-management', { 'Registered With Service Practice': true }, { gp: [{ identifier: { system: ODS, value: trafford.ods } }] }),
  scenario('10', 'a Manchester practice by ODS identifier only', 'not-eligible', { 'Registered With Service Practice': false }, { gp: [{ identifier: { system: ODS, value: manchester.ods } }] }),
  scenario('11', 'a GP Organization the server does not hold', 'data-required', { 'Registered With Service Practice': null }, { gp: [{ reference: 'Organization/gp-unknown' }] }),
  scenario('12', 'a GP Practitioner but no practice', 'data-required', { 'Registered With Service Practice': null }, { gp: [{ reference: 'Practitioner/dr-who' }] }),
  // Long-term condition
  scenario('13', 'no long-term condition (hypertension only)', 'not-eligible', { 'Has Chronic Long Term Condition': false }, { ltc: null, extra: (p) => [condition(p, 'htn', '38341003')] }),
  scenario('14', 'COPD', 'case-management', { 'Has Chronic Long Term Condition': true }, { ltc: '13645005' }),
  scenario('15', 'type 2 diabetes', 'case-management', { 'Has Chronic Long Term Condition': true }, { ltc: '44054006' }),
  scenario('16', 'heart failure resolved', 'not-eligible', { 'Has Chronic Long Term Condition': false }, { ltc: null, extra: (p) => [condition(p, 'hf', '84114007', { clinicalStatus: clinical('resolved') })] }),
  scenario('17', 'heart failure refuted', 'not-eligible', { 'Has Chronic Long Term Condition': false }, {
    ltc: null, extra: (p) => [condition(p, 'hf', '84114007', { verificationStatus: cc('http://terminology.hl7.org/CodeSystem/condition-ver-status', 'refuted') })],
  }),
  // At risk of deterioration
  scenario('18', 'an A&E attendance 11 months before', 'case-management', { 'At Risk Of Deterioration': true }, { ...noAE, extra: (p) => [encounter(p, 'ae11', 'EMER', '2024-07-31T09:00:00Z')] }),
  scenario('19', 'an A&E attendance 13 months before', 'not-eligible', { 'At Risk Of Deterioration': false }, { ...noAE, extra: (p) => [encounter(p, 'ae13', 'EMER', '2024-05-30T09:00:00Z')] }),
  scenario('20', 'an emergency admission (IMP, priority EM)', 'case-management', { 'At Risk Of Deterioration': true }, { ...noAE, extra: (p) => [encounter(p, 'adm', 'IMP', '2025-01-10T09:00:00Z', { priority: EMERGENCY_PRIORITY })] }),
  scenario('21', 'an admission typed 183452005 Emergency hospital admission', 'case-management', { 'At Risk Of Deterioration': true }, { ...noAE, extra: (p) => [encounter(p, 'adm', 'IMP', '2025-01-10T09:00:00Z', { type: [sct('183452005')] })] }),
  scenario('22', 'an elective admission only', 'not-eligible', { 'At Risk Of Deterioration': false }, { ...noAE, extra: (p) => [encounter(p, 'adm', 'IMP', '2025-01-10T09:00:00Z')] }),
  scenario('23', 'a cancelled A&E encounter does not count', 'not-eligible', { 'At Risk Of Deterioration': false }, { ...noAE, extra: (p) => [encounter(p, 'ae', 'EMER', '2025-05-01T09:00:00Z', { status: 'cancelled' })] }),
  scenario('24', 'the referrer says at risk of deterioration', 'case-management', { 'At Risk Of Deterioration': true }, {
    ...noAE, referral: { reasonCode: [cc('https://casehub.org/fhir/CodeSystem/referral-reason', 'at-risk-of-deterioration')] },
  }),
  // Specialist nurse
  scenario('25', 'under a heart failure specialist nurse', 'not-eligible', { 'Not Under Specialist Nurse': false }, { extra: (p) => [episode(p, 'sn', cc(SERVICE_TYPE, 'heart-failure-nursing'), 'active')] }),
  scenario('26', 'a specialist nurse for a different condition (diabetes)', 'case-management', { 'Not Under Specialist Nurse': true }, { extra: (p) => [episode(p, 'sn', cc(SERVICE_TYPE, 'diabetes-nursing'), 'active')] }),
  scenario('27', 'a heart failure specialist nurse episode that finished', 'case-management', { 'Not Under Specialist Nurse': true }, { extra: (p) => [episode(p, 'sn', cc(SERVICE_TYPE, 'heart-failure-nursing'), 'finished')] }),
  scenario('28', 'a respiratory nursing CareTeam for COPD', 'not-eligible', { 'Not Under Specialist Nurse': false }, {
    ltc: '13645005', extra: (p) => [{ resourceType: 'CareTeam', id: `${p}-ct`, status: 'active', category: [cc(SERVICE_TYPE, 'respiratory-nursing')], subject: { reference: `Patient/${p}` } } as Resource],
  }),
  scenario('29', 'a generic specialist nursing episode for another condition (diagnosis names diabetes)', 'case-management', { 'Not Under Specialist Nurse': true }, {
    extra: (p) => [condition(p, 'dm', '44054006'), episode(p, 'sn', cc(SERVICE_TYPE, 'specialist-nursing'), 'active', { diagnosis: [{ condition: { reference: `Condition/${p}-dm` } }] })],
  }),
  // Pregnancy
  scenario('30', 'pregnant (active Condition)', 'not-eligible', { Pregnant: true }, { birthDate: '1990-05-01', extra: (p) => [condition(p, 'preg', '77386006')] }),
  scenario('31', 'a pregnancy that ended', 'case-management', { Pregnant: false }, {
    birthDate: '1990-05-01', extra: (p) => [condition(p, 'preg', '77386006', { clinicalStatus: clinical('resolved'), onsetDateTime: '2024-03-01', abatementDateTime: '2024-12-01' })],
  }),
  scenario('32', 'a pregnancy Observation two months before', 'not-eligible', { Pregnant: true }, { birthDate: '1990-05-01', extra: (p) => [observation(p, 'preg', '77386006', '2025-04-30')] }),
  scenario('33', 'a pregnancy Observation, then the pregnancy Condition closed', 'case-management', { Pregnant: false }, {
    birthDate: '1990-05-01',
    extra: (p) => [observation(p, 'preg', '77386006', '2024-11-01'), condition(p, 'pregc', '77386006', { clinicalStatus: clinical('resolved'), abatementDateTime: '2025-03-01' })],
  }),
  // End of life
  scenario('34', 'palliative care in progress (Procedure)', 'not-eligible', { 'Receiving End Of Life Care': true }, {
    extra: (p) => [{ resourceType: 'Procedure', id: `${p}-pal`, status: 'in-progress', code: sct('103735009'), subject: { reference: `Patient/${p}` } } as Resource],
  }),
  scenario('35', 'palliative care that finished', 'case-management', { 'Receiving End Of Life Care': false }, {
    extra: (p) => [
      { resourceType: 'Procedure', id: `${p}-pal`, status: 'completed', code: sct('103735009'), subject: { reference: `Patient/${p}` }, performedPeriod: { start: '2024-01-01', end: '2024-03-01' } } as Resource,
      episode(p, 'pal', sct('103735009'), 'finished'),
    ],
  }),
  scenario('36', 'on the end of life care register (Condition)', 'not-eligible', { 'Receiving End Of Life Care': true }, { extra: (p) => [condition(p, 'eol', '526631000000108')] }),
  scenario('37', 'an active end-of-life EpisodeOfCare', 'not-eligible', { 'Receiving End Of Life Care': true }, { extra: (p) => [episode(p, 'eol', sct('182964004'), 'active')] }),
  // Residence
  scenario('38', 'lives in a nursing home', 'not-eligible', { 'Resident In Nursing Home': true }, { extra: (p) => [observation(p, 'res', '160734000', '2024-10-01')] }),
  scenario('39', 'lives in a residential home (not a nursing home)', 'case-management', { 'Resident In Nursing Home': false }, { extra: (p) => [observation(p, 'res', '394923006', '2024-10-01')] }),
  scenario('40', 'moved from a nursing home to a residential home', 'case-management', { 'Resident In Nursing Home': false }, {
    extra: (p) => [observation(p, 'res1', '160734000', '2023-10-01'), observation(p, 'res2', '394923006', '2025-02-01')],
  }),
  scenario('41', 'moved from a residential home to a nursing home', 'not-eligible', { 'Resident In Nursing Home': true }, {
    extra: (p) => [observation(p, 'res1', '394923006', '2023-10-01'), observation(p, 'res2', '160734000', '2025-02-01')],
  }),
  // Presenting condition
  scenario('42', 'referred for alcohol misuse', 'not-eligible', { 'Presenting With Mental Health Or Substance Misuse': true }, {
    referral: { reasonCode: [sct('7200002')], reasonReference: undefined },
  }),
  scenario('43', 'referred for a mental disorder (reasonReference)', 'not-eligible', { 'Presenting With Mental Health Or Substance Misuse': true }, {
    extra: (p) => [condition(p, 'mh', '58214004')], referral: { reasonReference: [{ reference: 'Condition/elig-43-mh' }] },
  }),
  scenario('44', 'referred for heart failure with alcohol misuse alongside', 'case-management', { 'Presenting With Mental Health Or Substance Misuse': false }, {
    referral: { reasonCode: [sct('84114007'), sct('15167005')] },
  }),
  // Acutely unwell
  scenario('45', 'acutely unwell (priority asap)', 'crisis-response', { 'Acutely Unwell': true }, { referral: { priority: 'asap' } }),
  scenario('46', 'acutely unwell (priority stat) and otherwise not eligible', 'crisis-response', { 'Acutely Unwell': true }, { ltc: null, referral: { priority: 'stat' } }),
  scenario('47', 'an urgent referral is not acutely unwell', 'case-management', { 'Acutely Unwell': false }, { referral: { priority: 'urgent' } }),
  // No referral: assessed at a given date (the rules test) or now (HTTP)
  scenario('48', 'no referral', 'case-management', { ...ok }, { referral: false }),
]
