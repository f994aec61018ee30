// A patient's problems and contacts inside the window: long-term conditions and exclusion
// findings (Condition), GP consultations, NHS 111 calls, A&E attendances and emergency admissions
// (Encounter) with the observations taken at them.
import type { Condition, Encounter } from '@medplum/fhirtypes'
import { orgRef, patientRef, ref, type Chart, type World } from './chart.js'
import * as C from './codes.js'
import type { Concept } from './codes.js'
import { formatDay, formatInstant, MINUTES_PER_DAY, nextWorkingDay, ukInstant } from './dates.js'
import { Physiology, type Measurement } from './observations.js'
import { ageOn, YEAR, type Profile } from './patient.js'
import { ORG } from './practices.js'
import { Weighted, type Rng } from './prng.js'

export interface Problems {
  /** long-term conditions that can justify a case management referral, most serious first */
  longTerm: Condition[]
  hf?: Condition
  copd?: Condition
  asthma?: Condition
  diabetes?: Condition
  respiratory?: Condition
  pregnancy?: Condition
  mentalHealthOrSubstance?: Condition
}

export interface Contact {
  encounter: Encounter
  kind: 'gp' | 'gp-phone' | 'review' | '111' | 'ae' | 'admission'
  start: number
  end?: number
  reason?: Condition
}


function condition(chart: Chart, p: Profile, c: Concept, onsetDay: number, category: 'problem-list-item' | 'encounter-diagnosis'): Condition {
  return chart.add<Condition>({
    resourceType: 'Condition',
    id: chart.id('cond'),
    clinicalStatus: { coding: [{ system: C.CLINICAL, code: 'active', display: 'Active' }] },
    verificationStatus: { coding: [{ system: C.VERIFICATION, code: 'confirmed', display: 'Confirmed' }] },
    category: [
      {
        coding: [
          category === 'problem-list-item'
            ? { system: C.CONDITION_CATEGORY, code: 'problem-list-item', display: 'Problem List Item' }
            : { system: C.CONDITION_CATEGORY, code: 'encounter-diagnosis', display: 'Encounter Diagnosis' },
        ],
      },
    ],
    code: C.sct(c),
    subject: patientRef(p.id),
    onsetDateTime: formatDay(onsetDay),
    recordedDate: formatDay(onsetDay),
  })
}

function resolve(c: Condition, abatementDay: number) {
  c.clinicalStatus = { coding: [{ system: C.CLINICAL, code: 'resolved', display: 'Resolved' }] }
  c.abatementDateTime = formatDay(abatementDay)
}

/** A diagnosis date before the window (up to 20 years back), not before `minAge`. */
function onset(rng: Rng, p: Profile, world: World, minAge: number): number {
  const lo = Math.max(p.birthDay + Math.ceil(minAge * YEAR), world.start - Math.floor(20 * YEAR))
  const hi = world.start - 30
  if (lo <= hi) return rng.int(lo, hi)
  return Math.min(Math.max(lo, p.from), world.end - 1) // diagnosed inside the window
}

export function addProblems(chart: Chart, rng: Rng, p: Profile, world: World): Problems {
  const out: Problems = { longTerm: [] }
  const add = (c: Concept | undefined | false, minAge: number) => {
    if (!c) return undefined
    const cond = condition(chart, p, c, onset(rng, p, world, minAge), 'problem-list-item')
    return cond
  }
  out.hf = add(p.hf, 18)
  out.copd = add(p.copd, 35)
  const ild = add(p.ild, 50)
  const bronchiectasis = add(p.bronchiectasis && C.BRONCHIECTASIS, 20)
  out.asthma = add(p.asthma, 1)
  out.diabetes = add(p.diabetes, p.diabetes === C.DIABETES_T1 ? 1 : 18)
  const chd = add(p.chd && C.CORONARY_HEART_DISEASE, 40)
  const htn = add(p.hypertension && C.HYPERTENSION, 18)
  out.respiratory = out.copd ?? ild ?? bronchiectasis ?? out.asthma
  for (const c of [out.hf, out.copd, ild, bronchiectasis, out.diabetes, out.asthma, chd, htn]) if (c) out.longTerm.push(c)

  const smi = add(p.smi, 18)
  const alcohol = add(p.alcohol, 18)
  const drugs = add(p.drugs, 16)
  out.mentalHealthOrSubstance = smi ?? alcohol ?? drugs
  if (p.careHome) add(p.careHome, 60)
  if (p.endOfLife) {
    const day = Math.max(world.end - 1 - rng.int(0, 540), p.from)
    condition(chart, p, C.END_OF_LIFE, day, 'problem-list-item')
  }
  if (p.pregnancyStart !== undefined) {
    const preg = condition(chart, p, C.PREGNANT, p.pregnancyStart, 'problem-list-item')
    const delivery = p.pregnancyStart + rng.int(259, 294)
    if (delivery < world.end) resolve(preg, delivery)
    out.pregnancy = preg
  }
  return out
}

/** True when the patient is pregnant on `day` (for triage). */
export function pregnantOn(p: Profile, day: number): boolean {
  return p.pregnancyStart !== undefined && day >= p.pregnancyStart && day < p.pregnancyStart + 280
}

const byAge = (age: number, table: [number, number][]) => table.find(([upTo]) => age < upTo)?.[1] ?? table[table.length - 1][1]

/** Random day in [p.from, world.end). */
const anyDay = (rng: Rng, p: Profile, world: World) => rng.int(p.from, world.end - 1)

/** A time of day in minutes, weighted to waking hours for unplanned care. */
function unplannedMinute(rng: Rng): number {
  const hour = rng.chance(0.8) ? rng.int(8, 22) : rng.pick([23, 0, 1, 2, 3, 4, 5, 6, 7])
  return hour * 60 + rng.int(0, 59)
}

const ACUTE = new Weighted(C.ACUTE_PROBLEMS)

export class ContactPlanner {
  readonly contacts: Contact[] = []
  readonly physiology: Physiology

  constructor(
    private readonly chart: Chart,
    private readonly rng: Rng,
    private readonly p: Profile,
    private readonly world: World,
    private readonly problems: Problems,
  ) {
    this.physiology = new Physiology(rng, p, ageOn(p, world.start), world.end * MINUTES_PER_DAY - 1)
  }

  /** All contacts of the window, in time order, with their observations. */
  plan(): Contact[] {
    const { rng, p, world } = this
    const years = (world.end - p.from) / YEAR
    const female = p.gender === 'female'
    const n = (condition: unknown, weight: number) => (condition ? weight : 0)
    const gpRate =
      byAge(p.age, [[5, 5.5], [18, 2.3], [30, 3.2], [45, 4], [65, 5.2], [80, 7.5], [200, 9.5]]) * (female && p.age >= 16 && p.age < 60 ? 1.3 : 1) +
      n(p.hf, 3) + n(p.copd, 2.5) + n(p.diabetes, 1.2) + n(p.asthma, 0.6) + n(p.hypertension, 0.5) + n(p.chd, 0.6) +
      n(p.smi, 1) + n(p.alcohol, 0.8) + n(p.drugs, 1) + n(p.endOfLife, 4) + n(p.careHome, 2)
    const aeRate =
      byAge(p.age, [[5, 0.45], [18, 0.28], [65, 0.28], [80, 0.45], [200, 0.7]]) +
      n(p.hf, 0.35) + n(p.copd, 0.35) + n(p.asthma, 0.12) + n(p.diabetes, 0.1) + n(p.alcohol, 0.6) + n(p.drugs, 0.7) + n(p.smi, 0.3)
    const admissionRate =
      byAge(p.age, [[18, 0.03], [65, 0.05], [80, 0.14], [200, 0.32]]) +
      n(p.hf, 0.5) + n(p.copd, 0.4) + n(p.asthma, 0.04) + n(p.diabetes, 0.08) + n(p.alcohol, 0.2) + n(p.endOfLife, 0.5)
    const callRate = 0.22 + n(p.hf || p.copd, 0.3) + n(p.age < 5, 0.3) + n(p.smi, 0.5)

    const scale = years * p.activity
    const planned: { kind: Contact['kind']; day: number }[] = []
    for (let i = rng.poisson(gpRate * scale); i > 0; i--) planned.push({ kind: rng.chance(0.62) ? 'gp' : 'gp-phone', day: anyDay(rng, p, world) })
    // One long-term condition review a year (QOF-style), for patients with a reviewed condition.
    if (p.hf || p.copd || p.diabetes || p.asthma || p.hypertension || p.chd) {
      for (let y = world.start; y < world.end; y += 365) {
        const day = y + rng.int(0, 364)
        if (day >= p.from && day < world.end && rng.chance(0.85)) planned.push({ kind: 'review', day })
      }
    }
    for (let i = rng.poisson(callRate * scale); i > 0; i--) planned.push({ kind: '111', day: anyDay(rng, p, world) })
    for (let i = rng.poisson(aeRate * scale); i > 0; i--) planned.push({ kind: 'ae', day: anyDay(rng, p, world) })
    for (let i = rng.poisson(admissionRate * scale); i > 0; i--) planned.push({ kind: 'admission', day: anyDay(rng, p, world) })
    planned.sort((a, b) => a.day - b.day || kindOrder(a.kind) - kindOrder(b.kind))

    let smokingRecorded = false
    for (const { kind, day } of planned) {
      switch (kind) {
        case 'gp':
        case 'gp-phone':
        case 'review': {
          const d = nextWorkingDay(day)
          if (d >= world.end) break
          const start = ukInstant(d, 8 * 60 + rng.int(0, 59) * 10)
          const length = kind === 'gp-phone' ? rng.int(5, 12) : kind === 'review' ? rng.int(15, 30) : rng.int(10, 20)
          const enc = this.encounter('AMB', kind === 'gp-phone' ? C.GP_TELEPHONE : C.GP_SURGERY, start, start + length, p.practice.id)
          const contact = this.push({ encounter: enc, kind, start, end: start + length })
          if (kind !== 'gp-phone') {
            const measured = kind === 'review' ? this.reviewMeasurements() : this.visitMeasurements()
            if (!smokingRecorded && p.age >= 16 && (kind === 'review' || rng.chance(0.5))) {
              measured.push('smoking')
              smokingRecorded = true
            }
            this.observe(measured, contact)
          }
          break
        }
        case '111': {
          const start = ukInstant(day, unplannedMinute(rng))
          const length = rng.int(8, 35)
          if (start + length >= world.end * MINUTES_PER_DAY) break
          const enc = this.encounter('VR', C.TELEPHONE_TRIAGE, start, start + length, ORG.nhs111)
          enc.serviceType = C.sct(C.NHS_111_SERVICE, false)
          this.push({ encounter: enc, kind, start, end: start + length })
          break
        }
        case 'ae':
        case 'admission':
          this.emergency(day, kind === 'admission')
          break
      }
    }
    return this.contacts
  }

  private push(c: Contact): Contact {
    this.contacts.push(c)
    return c
  }

  encounter(cls: keyof typeof C.ENCOUNTER_CLASS, type: Concept | string, start: number, end: number | undefined, provider: string): Encounter {
    const enc: Encounter = {
      resourceType: 'Encounter',
      id: this.chart.id('enc'),
      status: end === undefined ? 'in-progress' : 'finished',
      class: C.ENCOUNTER_CLASS[cls],
      type: [typeof type === 'string' ? C.text(type) : C.sct(type)],
      subject: patientRef(this.p.id),
      period: end === undefined ? { start: formatInstant(start) } : { start: formatInstant(start), end: formatInstant(end) },
      serviceProvider: orgRef(provider),
    }
    return this.chart.add(enc)
  }

  /** An A&E attendance, and when `admit`, the emergency admission that follows it. */
  private emergency(day: number, admit: boolean) {
    const { rng, p, world, problems } = this
    const arrival = ukInstant(day, unplannedMinute(rng))
    const windowEnd = world.end * MINUTES_PER_DAY
    if (arrival + 30 >= windowEnd) return
    const inAe = rng.chance(0.75) ? rng.int(60, 240) : rng.int(240, 720)
    const aeEnd = arrival + inAe < windowEnd ? arrival + inAe : undefined

    // Why they came: an exacerbation of a long-term condition, or another acute problem.
    let concept: Concept
    let chronic: Condition | undefined
    const exacerbation = admit ? 0.65 : 0.3
    if (problems.hf && rng.chance(exacerbation)) (concept = C.HF_DECOMPENSATION), (chronic = problems.hf)
    else if (problems.copd && rng.chance(exacerbation)) (concept = C.COPD_EXACERBATION), (chronic = problems.copd)
    else if (problems.asthma && rng.chance(exacerbation * 0.8)) (concept = C.ASTHMA_EXACERBATION), (chronic = problems.asthma)
    else concept = ACUTE.pick(rng)
    const reason = condition(this.chart, p, concept, day, 'encounter-diagnosis')
    const resolvedBy = day + rng.int(7, 28)
    if (resolvedBy < world.end) resolve(reason, resolvedBy)

    const ae = this.encounter('EMER', C.SEEN_IN_CASUALTY, arrival, aeEnd, ORG.trust)
    ae.reasonReference = [ref(reason)]
    reason.encounter = ref(ae)
    const aeContact = this.push({ encounter: ae, kind: 'ae', start: arrival, end: aeEnd, reason })
    this.observe(['bp', 'heartRate', 'respiratoryRate', 'oxygenSaturation', 'temperature'], aeContact, true)
    if (!admit || aeEnd === undefined) return

    const stayDays = Math.min(45, Math.max(1, Math.round(Math.exp(rng.normal(Math.log(p.age >= 75 ? 6 : 3.5), 0.7)))))
    const dischargeDay = Math.floor(aeEnd / MINUTES_PER_DAY) + stayDays
    const discharge = ukInstant(dischargeDay, rng.int(10 * 60, 18 * 60))
    const admitted = discharge < windowEnd ? discharge : undefined
    const adm = this.encounter('IMP', C.EMERGENCY_ADMISSION, aeEnd, admitted, ORG.trust)
    adm.priority = C.EMERGENCY_PRIORITY
    adm.reasonReference = [ref(reason)]
    adm.diagnosis = [{ condition: ref(reason), rank: 1 }, ...(chronic ? [{ condition: ref(chronic), rank: 2 }] : [])]
    adm.hospitalization = admitted === undefined ? { admitSource: C.ADMIT_FROM_ED } : { admitSource: C.ADMIT_FROM_ED, dischargeDisposition: C.DISCHARGE_HOME }
    const admission = this.push({ encounter: adm, kind: 'admission', start: aeEnd, end: admitted, reason })
    const bloods: Measurement[] = ['renal', 'fbc']
    if (p.hf) bloods.push('ntProBnp')
    this.observe(bloods, { ...admission, start: aeEnd + 30 }, true)
  }

  private visitMeasurements(): Measurement[] {
    const { rng, p } = this
    const m: Measurement[] = []
    if (p.age < 18) {
      if (rng.chance(0.35)) m.push('temperature')
      if (rng.chance(0.2)) m.push('weight')
      if (rng.chance(0.1)) m.push('heartRate')
      if (rng.chance(p.asthma ? 0.4 : 0.1)) m.push('oxygenSaturation')
      return m
    }
    const cardio = p.hypertension || p.hf || p.diabetes || p.chd
    const chest = p.copd || p.asthma || p.ild || p.bronchiectasis || p.hf
    if (rng.chance(cardio ? 0.7 : 0.35)) m.push('bp')
    if (rng.chance(p.hf || p.diabetes ? 0.5 : 0.25)) m.push('weight')
    if (rng.chance(p.hf ? 0.5 : 0.15)) m.push('heartRate')
    if (rng.chance(chest ? 0.5 : 0.1)) m.push('oxygenSaturation', 'respiratoryRate')
    if (rng.chance(0.05)) m.push('temperature')
    // Routine blood tests (about a quarter of consultations with an adult).
    if (rng.chance(cardio ? 0.45 : 0.3)) {
      m.push('renal', 'fbc')
      if (rng.chance(0.5)) m.push('cholesterol')
      if (p.diabetes || rng.chance(0.3)) m.push('hba1c')
    }
    return m
  }

  private reviewMeasurements(): Measurement[] {
    const { rng, p } = this
    const m = new Set<Measurement>()
    if (p.diabetes) ['hba1c', 'renal', 'cholesterol', 'bp', 'weight'].forEach((x) => m.add(x as Measurement))
    if (p.hf) ['bp', 'heartRate', 'weight', 'renal', 'fbc'].forEach((x) => m.add(x as Measurement))
    if (p.hf && rng.chance(0.5)) m.add('ntProBnp')
    if (p.copd) ['oxygenSaturation', 'respiratoryRate', 'weight'].forEach((x) => m.add(x as Measurement))
    if (p.copd && rng.chance(0.3)) m.add('fev1Fvc')
    if (p.asthma) m.add('respiratoryRate')
    if (p.hypertension) ['bp', 'renal', 'cholesterol'].forEach((x) => m.add(x as Measurement))
    if (p.chd) ['bp', 'cholesterol'].forEach((x) => m.add(x as Measurement))
    return [...m]
  }

  /** Records measurements during a contact (a few minutes after it starts). */
  observe(what: Measurement[], contact: Pick<Contact, 'encounter' | 'start' | 'end'>, unwell = false) {
    let minute = contact.start + 2
    for (const m of what) {
      this.physiology.record(this.chart, this.rng, m, minute, contact.encounter, unwell)
      if (contact.end === undefined || minute + 1 < contact.end) minute += 1
    }
  }
}

function kindOrder(kind: Contact['kind']): number {
  return ['review', 'gp', 'gp-phone', '111', 'ae', 'admission'].indexOf(kind)
}
