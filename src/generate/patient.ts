// Who a synthetic patient is: age, gender, GP practice, long-term conditions and exclusion
// findings (the profile), and the Patient resource itself.
import type { Patient } from '@medplum/fhirtypes'
import type { World } from './chart.js'
import * as C from './codes.js'
import type { Concept } from './codes.js'
import { formatDay } from './dates.js'
import { asciiSlug, personName } from './names.js'
import { homeAddress, phones, type Borough } from './places.js'
import type { Practice } from './practices.js'
import { Weighted, type Rng } from './prng.js'

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number'
const VERIFICATION_EXTENSION = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus'
const VERIFICATION_SYSTEM = 'https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland'

export type Smoking = 'never' | 'ex' | 'current'

export interface Profile {
  num: string
  id: string
  gender: 'male' | 'female' | 'other' | 'unknown'
  birthDay: number
  /** whole years at the end of the window */
  age: number
  practice: Practice
  smoking?: Smoking
  hf?: Concept
  copd?: Concept
  asthma?: Concept
  diabetes?: Concept
  hypertension: boolean
  chd: boolean
  bronchiectasis: boolean
  ild?: Concept
  /** first day of a pregnancy that starts inside the window */
  pregnancyStart?: number
  endOfLife: boolean
  careHome?: Concept
  smi?: Concept
  alcohol?: Concept
  drugs?: Concept
  /** individual multiplier of service use (log-normal, mean about 1) */
  activity: number
  /** first day the patient can have events (window start, or birth) */
  from: number
}

// Age at the end of the window: an English urban population, adults dominate, about 22% under 18.
const AGE_BANDS = new Weighted<[number, number]>([
  [[0, 5], 6], [[5, 18], 16], [[18, 30], 18], [[30, 45], 21], [[45, 65], 24], [[65, 75], 8], [[75, 85], 5], [[85, 100], 2],
])

/** Share of patients registered at a Trafford practice (the rest at Manchester practices). */
export const TRAFFORD_SHARE = 0.5

export const YEAR = 365.25
export const ageOn = (p: { birthDay: number }, day: number) => Math.floor((day - p.birthDay) / YEAR)

/** A prevalence by age band: [upper age (exclusive), probability] pairs, ascending. */
function byAge(age: number, table: [number, number][]): number {
  for (const [upTo, p] of table) if (age < upTo) return p
  return table[table.length - 1][1]
}

export function makeProfile(rng: Rng, index: number, world: World): Profile {
  const num = String(index).padStart(6, '0')
  const [lo, hi] = AGE_BANDS.pick(rng)
  const ageYears = rng.real(lo, hi)
  const birthDay = world.end - 1 - Math.floor(ageYears * YEAR)
  const age = Math.floor(ageYears)
  const g = rng.next()
  const gender = g < 0.492 ? 'male' : g < 0.997 ? 'female' : g < 0.9985 ? 'other' : 'unknown'
  const borough: Borough = rng.chance(TRAFFORD_SHARE) ? 'Trafford' : 'Manchester'
  const practice = rng.pick(world.practices[borough])
  const adult = age >= 18

  let smoking: Smoking | undefined
  if (age >= 16) {
    const s = rng.next()
    const exShare = byAge(age, [[30, 0.08], [50, 0.2], [70, 0.35], [200, 0.45]])
    smoking = s < 0.13 ? 'current' : s < 0.13 + exShare ? 'ex' : 'never'
  }
  const smokerFactor = smoking === 'current' ? 3 : smoking === 'ex' ? 2.5 : 0.4

  const p: Profile = {
    num, id: `p-${num}`, gender, birthDay, age, practice, smoking,
    hypertension: rng.chance(byAge(age, [[18, 0], [30, 0.01], [45, 0.05], [65, 0.2], [80, 0.45], [200, 0.6]])),
    chd: rng.chance(byAge(age, [[45, 0], [65, 0.03], [80, 0.1], [200, 0.15]])),
    bronchiectasis: age >= 40 && rng.chance(0.005),
    endOfLife: false,
    activity: Math.exp(rng.normal(-0.125, 0.5)),
    from: Math.max(world.start, birthDay + 1),
  }
  if (rng.chance(byAge(age, [[5, 0.04], [18, 0.1], [200, 0.07]]))) p.asthma = age < 18 ? C.CHILDHOOD_ASTHMA : C.ASTHMA
  if (age >= 5 && rng.chance(0.005)) p.diabetes = C.DIABETES_T1
  else if (rng.chance(byAge(age, [[18, 0], [30, 0.003], [45, 0.03], [65, 0.09], [200, 0.18]]))) p.diabetes = C.DIABETES_T2
  if (age >= 35 && rng.chance(byAge(age, [[45, 0.005], [65, 0.025], [80, 0.07], [200, 0.09]]) * smokerFactor)) p.copd = rng.pick(C.COPD)
  const hfRisk = byAge(age, [[45, 0.0005], [65, 0.007], [80, 0.03], [200, 0.09]]) * (p.hypertension || p.chd ? 1.6 : 1)
  if (rng.chance(hfRisk)) p.hf = rng.pick(C.HEART_FAILURE)
  if (age >= 60 && rng.chance(0.003)) p.ild = rng.pick(C.ILD)

  if (adult) {
    if (rng.chance(0.009)) p.smi = rng.pick(C.SEVERE_MENTAL_ILLNESS)
    if (rng.chance(0.015)) p.alcohol = rng.pick(C.ALCOHOL)
    if (age < 60 && rng.chance(0.008)) p.drugs = rng.pick(C.DRUGS)
    if (rng.chance(byAge(age, [[75, 0.0005], [85, 0.02], [200, 0.1]]))) p.careHome = rng.pick(C.NURSING_HOME)
    const eol = byAge(age, [[65, 0.001], [75, 0.005], [200, 0.012]]) + (p.hf || p.copd ? 0.02 : 0)
    p.endOfLife = rng.chance(eol)
  }
  // Pregnancies that start inside the window (women aged 16-45 at the start).
  const ageAtStart = ageOn(p, world.start)
  if (p.gender === 'female' && ageAtStart >= 16 && ageAtStart <= 44 && rng.chance(0.09)) {
    p.pregnancyStart = world.start + rng.int(0, world.end - world.start - 1)
  }
  return p
}

export function patientResource(rng: Rng, p: Profile, nhsNumber: string, world: World): Patient {
  const birthYear = Number(formatDay(p.birthDay).slice(0, 4))
  const n = personName(rng, p.gender, birthYear, p.age)
  const adult = p.age >= 18
  const sameDistrict = rng.chance(0.75)
  const district = sameDistrict ? p.practice.district : rng.pick(world.districts[p.practice.borough])
  const telecom = phones(rng, adult)
  if (adult && rng.chance(0.3)) {
    telecom.push({ system: 'email', value: `${asciiSlug(n.given[0])}.${asciiSlug(n.family)}${rng.int(1, 99)}@example.com`, use: 'home' })
  }
  const patient: Patient = {
    resourceType: 'Patient',
    id: p.id,
    identifier: [
      {
        extension: [
          {
            url: VERIFICATION_EXTENSION,
            valueCodeableConcept: {
              coding: [{ system: VERIFICATION_SYSTEM, code: '01', display: 'Number present and verified' }],
            },
          },
        ],
        system: NHS_NUMBER_SYSTEM,
        value: nhsNumber,
      },
    ],
    active: true,
    name: [{ use: 'official', family: n.family, given: n.given, ...(n.prefix ? { prefix: [n.prefix] } : {}) }],
    ...(telecom.length ? { telecom } : {}),
    gender: p.gender,
    birthDate: formatDay(p.birthDay),
    address: [homeAddress(rng, district, p.practice.borough)],
    generalPractitioner: [{ reference: `Organization/${p.practice.id}`, display: p.practice.name }],
  }
  return patient
}
