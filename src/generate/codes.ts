// Codes used by the generator. SNOMED CT codes and terms come from ../shared/research/codes.md
// (GM SDE, OpenSAFELY/PRIMIS and UK Core value sets) or from the Synthea sample records; LOINC
// codes are those of the FHIR vital signs profile, the Synthea records, or the SI-unit LOINC
// codes UK laboratories report (HbA1c in mmol/mol, creatinine in µmol/L, cholesterol in mmol/L).
import type { CodeableConcept, Coding } from '@medplum/fhirtypes'

export const SCT = 'http://snomed.info/sct'
export const LOINC = 'http://loinc.org'
export const UCUM = 'http://unitsofmeasure.org'
export const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode'

export interface Concept {
  code: string
  display: string
}

export const concept = (code: string, display: string): Concept => ({ code, display })

export function sct(c: Concept, withText = true): CodeableConcept {
  return withText
    ? { coding: [{ system: SCT, code: c.code, display: c.display }], text: c.display }
    : { coding: [{ system: SCT, code: c.code, display: c.display }] }
}

export function coded(system: string, code: string, display: string): CodeableConcept {
  return { coding: [{ system, code, display }] }
}

export const text = (t: string): CodeableConcept => ({ text: t })

/** terminology/CodeSystem-referral-rejection-reason.json, by the wording the triage uses. */
const REJECTION_SYSTEM = 'https://casehub.org/fhir/CodeSystem/referral-rejection-reason'
const REJECTION_CODES: Record<string, string> = {
  'Does not meet the service criteria': 'not-eligible',
  'Not registered with a Trafford GP': 'not-registered',
  'Under 18 years of age': 'under-18',
  Pregnant: 'pregnant',
  'Receiving end of life care': 'end-of-life',
  'Lives in a nursing home': 'nursing-home',
  'Mental health, alcohol or drug misuse is the presenting condition': 'mental-health-or-substance-misuse',
  'Already under specialist nursing for the referring condition': 'under-specialist-nurse',
  'Not at risk of deterioration': 'not-at-risk',
  'Acutely unwell: referred to the Community Crisis Response Team': 'acutely-unwell',
}

/** A rejection reason, coded when it is one of CaseHub's, with the triage's wording as text. */
export function rejectionReason(reason: string): CodeableConcept {
  const code = REJECTION_CODES[reason]
  return code ? { coding: [{ system: REJECTION_SYSTEM, code }], text: reason } : text(reason)
}

// ---- Conditions (codes.md §1 inclusion, §2 exclusion; SYN = Synthea records)
export const HEART_FAILURE = [
  concept('84114007', 'Heart failure'),
  concept('42343007', 'Congestive heart failure'),
  concept('48447003', 'Chronic heart failure'),
  concept('88805009', 'Chronic congestive heart failure'),
  concept('703272007', 'Heart failure with reduced ejection fraction'),
  concept('446221000', 'Heart failure with normal ejection fraction'),
]
export const COPD = [
  concept('13645005', 'Chronic obstructive lung disease'),
  concept('313296004', 'Mild chronic obstructive pulmonary disease'),
  concept('313297008', 'Moderate chronic obstructive pulmonary disease'),
  concept('313299006', 'Severe chronic obstructive pulmonary disease'),
  concept('185086009', 'Chronic obstructive bronchitis (disorder)'),
  concept('87433001', 'Pulmonary emphysema (disorder)'),
]
export const ASTHMA = concept('195967001', 'Asthma')
export const CHILDHOOD_ASTHMA = concept('233678006', 'Childhood asthma')
export const DIABETES_T1 = concept('46635009', 'Diabetes mellitus type 1 (disorder)')
export const DIABETES_T2 = concept('44054006', 'Diabetes mellitus type 2 (disorder)')
export const BRONCHIECTASIS = concept('12295008', 'Bronchiectasis')
export const ILD = [concept('233703007', 'Interstitial lung disease'), concept('700250006', 'Idiopathic pulmonary fibrosis')]
export const HYPERTENSION = concept('38341003', 'Hypertension') // SYN
export const CORONARY_HEART_DISEASE = concept('53741008', 'Coronary Heart Disease') // SYN

export const PREGNANT = concept('77386006', 'Patient currently pregnant')
export const END_OF_LIFE = concept('526631000000108', 'On end of life care register')
/** Care home residence: the first (160734000) is a nursing home, the exclusion criterion; the second is not. */
export const NURSING_HOME = [concept('160734000', 'Lives in a nursing home'), concept('248171000000108', 'Lives in care home')]
export const SEVERE_MENTAL_ILLNESS = [concept('58214004', 'Schizophrenia'), concept('69322001', 'Psychotic disorder')]
export const ALCOHOL = [concept('7200002', 'Alcoholism'), concept('15167005', 'Alcohol abuse')]
export const DRUGS = [concept('5602001', 'Opioid abuse'), concept('91388009', 'Psychoactive substance abuse')]

// Acute problems behind A&E attendances and admissions
export const COPD_EXACERBATION = concept('195951007', 'Acute exacerbation of chronic obstructive airways disease')
export const ASTHMA_EXACERBATION = concept('708038006', 'Acute exacerbation of asthma')
export const HF_DECOMPENSATION = concept('195111005', 'Decompensated cardiac failure')
export const ACUTE_PROBLEMS: [Concept, number][] = [
  [concept('29857009', 'Chest pain'), 4],
  [concept('10509002', 'Acute bronchitis (disorder)'), 3], // SYN
  [concept('444814009', 'Viral sinusitis (disorder)'), 1], // SYN
  [concept('195662009', 'Acute viral pharyngitis (disorder)'), 1], // SYN
  [concept('44465007', 'Sprain of ankle'), 3], // SYN
  [concept('65966004', 'Fracture of forearm'), 2], // SYN
  [concept('284549007', 'Laceration of hand'), 2], // SYN
  [concept('62564004', 'Concussion with loss of consciousness'), 1], // SYN
]

export const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical'
export const VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status'
export const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category'

// ---- Encounters (codes.md §4)
export const GP_SURGERY = concept('185202000', "Seen in GP's surgery")
export const GP_TELEPHONE = concept('185317003', 'Telephone encounter')
export const TELEPHONE_TRIAGE = concept('401267002', 'Telephone triage encounter')
export const NHS_111_SERVICE = concept('907301000000109', 'NHS 111 service')
export const SEEN_IN_CASUALTY = concept('185210004', 'Seen in hospital casualty')
export const EMERGENCY_ADMISSION = concept('183452005', 'Emergency hospital admission')
export const COMMUNITY_NURSING = concept('931801000000101', 'Community nursing service')

export const ENCOUNTER_CLASS: Record<'AMB' | 'EMER' | 'IMP' | 'VR' | 'HH', Coding> = {
  AMB: { system: ACT_CODE, code: 'AMB', display: 'ambulatory' },
  EMER: { system: ACT_CODE, code: 'EMER', display: 'emergency' },
  IMP: { system: ACT_CODE, code: 'IMP', display: 'inpatient encounter' },
  VR: { system: ACT_CODE, code: 'VR', display: 'virtual' },
  HH: { system: ACT_CODE, code: 'HH', display: 'home health' },
}
export const EMERGENCY_PRIORITY = coded('http://terminology.hl7.org/CodeSystem/v3-ActPriority', 'EM', 'emergency')
export const ADMIT_FROM_ED = coded('http://terminology.hl7.org/CodeSystem/admit-source', 'emd', 'From accident/emergency department')
export const DISCHARGE_HOME = coded('http://terminology.hl7.org/CodeSystem/discharge-disposition', 'home', 'Home')

// ---- Referrals (codes.md §3) and services
export const PATIENT_REFERRAL = concept('3457005', 'Patient referral')
export const REFERRAL_TO_SERVICE = concept('306206005', 'Referral to service')
export const CASE_MANAGER = concept('768832004', 'Case manager')
export const SOCIAL_PRESCRIBING = concept('871731000000106', 'Referral to social prescribing service')
export const COMMUNITY_PHYSIO = concept('306171006', 'Referral to community-based physiotherapy service')
export const COMMUNITY_OT = concept('306167008', 'Referral to community-based occupational therapy service')
export const DISTRICT_NURSE = concept('308436005', 'Refer to district nurse')
export const HEART_FAILURE_CLINIC = concept('134440006', 'Referral to heart failure clinic')
export const RESPIRATORY_SERVICE = concept('306114008', 'Referral to respiratory medicine service')
export const PHYSIOTHERAPY = concept('306170007', 'Referral to physiotherapy service')
export const PALLIATIVE_REFERRAL = concept('306237005', 'Referral to palliative care service')
export const INTERMEDIATE_CARE = concept('892601000000108', 'Intermediate care service')

// ---- Observations
export interface ObservationCode {
  code: string
  display: string
  category: 'vital-signs' | 'laboratory' | 'social-history' | 'exam'
  unit?: string
  ucum?: string
  decimals?: number
}

const obs = (code: string, display: string, category: ObservationCode['category'], unit?: string, ucum?: string, decimals = 0): ObservationCode =>
  ({ code, display, category, unit, ucum, decimals })

export const OBS = {
  bloodPressure: obs('85354-9', 'Blood pressure panel with all children optional', 'vital-signs'),
  systolic: obs('8480-6', 'Systolic blood pressure', 'vital-signs', 'mmHg', 'mm[Hg]'),
  diastolic: obs('8462-4', 'Diastolic blood pressure', 'vital-signs', 'mmHg', 'mm[Hg]'),
  heartRate: obs('8867-4', 'Heart rate', 'vital-signs', 'beats/minute', '/min'),
  respiratoryRate: obs('9279-1', 'Respiratory rate', 'vital-signs', 'breaths/minute', '/min'),
  oxygenSaturation: obs('59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry', 'vital-signs', '%', '%'),
  temperature: obs('8310-5', 'Body temperature', 'vital-signs', '°C', 'Cel', 1),
  weight: obs('29463-7', 'Body weight', 'vital-signs', 'kg', 'kg', 1),
  height: obs('8302-2', 'Body height', 'vital-signs', 'cm', 'cm', 1),
  bmi: obs('39156-5', 'Body mass index (BMI) [Ratio]', 'vital-signs', 'kg/m2', 'kg/m2', 1),
  hba1c: obs('59261-8', 'Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol', 'laboratory', 'mmol/mol', 'mmol/mol'),
  egfr: obs('33914-3', 'Estimated Glomerular Filtration Rate', 'laboratory', 'mL/min/1.73m2', 'mL/min/{1.73_m2}'),
  creatinine: obs('14682-9', 'Creatinine [Moles/volume] in Serum or Plasma', 'laboratory', 'µmol/L', 'umol/L'),
  potassium: obs('6298-4', 'Potassium [Moles/volume] in Blood', 'laboratory', 'mmol/L', 'mmol/L', 1),
  sodium: obs('2947-0', 'Sodium [Moles/volume] in Blood', 'laboratory', 'mmol/L', 'mmol/L'),
  cholesterol: obs('14647-2', 'Cholesterol [Moles/volume] in Serum or Plasma', 'laboratory', 'mmol/L', 'mmol/L', 1),
  ntProBnp: obs('33762-6', 'NT-proBNP', 'laboratory', 'ng/L', 'ng/L'),
  fev1Fvc: obs('19926-5', 'FEV1/FVC', 'exam', '%', '%'),
  smoking: obs('72166-2', 'Tobacco smoking status', 'social-history'),
} as const

export const SMOKING_STATUS = {
  never: concept('266919005', 'Never smoked tobacco'),
  ex: concept('8517006', 'Ex-smoker'),
  current: concept('77176002', 'Smoker'),
}

export const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category'
