// Observations: vital signs, laboratory results, smoking status and spirometry, with values drawn
// around each patient's own baseline (so a patient's readings are consistent over time).
import type { Encounter, Observation, ObservationComponent, Quantity } from '@medplum/fhirtypes'
import { ref, type Chart } from './chart.js'
import { LOINC, OBS, OBSERVATION_CATEGORY, SCT, SMOKING_STATUS, UCUM, type ObservationCode } from './codes.js'
import { formatInstant, MINUTES_PER_DAY, nextWorkingDay, ukInstant } from './dates.js'
import type { Profile } from './patient.js'
import type { Rng } from './prng.js'

const CATEGORY_DISPLAY: Record<ObservationCode['category'], string> = {
  'vital-signs': 'Vital Signs',
  laboratory: 'Laboratory',
  'social-history': 'Social History',
  exam: 'Exam',
}

// Full blood count in UK units (the LOINC codes are those of the Synthea records).
const FBC = {
  haemoglobin: { code: '718-7', display: 'Hemoglobin [Mass/volume] in Blood', category: 'laboratory', unit: 'g/L', ucum: 'g/L', decimals: 0 },
  whiteCells: { code: '6690-2', display: 'Leukocytes [#/volume] in Blood by Automated count', category: 'laboratory', unit: '10*9/L', ucum: '10*9/L', decimals: 1 },
  platelets: { code: '777-3', display: 'Platelets [#/volume] in Blood by Automated count', category: 'laboratory', unit: '10*9/L', ucum: '10*9/L', decimals: 0 },
} satisfies Record<string, ObservationCode>

export type Measurement =
  | 'bp' | 'heartRate' | 'respiratoryRate' | 'oxygenSaturation' | 'temperature' | 'weight' | 'hba1c' | 'renal'
  | 'cholesterol' | 'ntProBnp' | 'fev1Fvc' | 'smoking' | 'fbc'

/** A patient's baseline values; each reading adds measurement noise. */
export class Physiology {
  readonly height: number
  private readonly bmi: number
  private readonly sbp: number
  private readonly dbp: number
  private readonly hr: number
  private readonly spo2: number
  private readonly rr: number
  private readonly hba1c: number
  private readonly egfr: number
  private readonly creatinineBase: number
  private readonly cholesterol: number
  private readonly bnp: number
  private readonly fev1Fvc: number
  private readonly hb: number
  heightRecorded = false

  /** `latest`: the last minute of the window (results are not issued after it). */
  constructor(rng: Rng, readonly p: Profile, ageAtStart: number, private readonly latest: number) {
    const male = p.gender === 'male'
    const a = Math.max(ageAtStart, 0)
    if (a < 18) this.height = Math.min(50 + 6.4 * a + rng.normal(0, 4), male ? 178 : 165)
    else this.height = rng.normal(male ? 176 : 163, male ? 7 : 6.5) - (a > 70 ? (a - 70) * 0.15 : 0)
    const childBmi = 15.5 + Math.max(0, a - 6) * 0.45 + rng.normal(0, 1.8)
    this.bmi = a < 18 ? childBmi : Math.max(16, rng.normal(27.3, 4.6) + (p.diabetes ? 3 : 0) + (p.hf ? 1.5 : 0))
    const cardio = p.hypertension || p.hf || p.chd
    this.sbp = rng.normal(a < 18 ? 105 + a : 122, 10) + Math.max(0, a - 40) * 0.35 + (p.hypertension ? 12 : 0)
    this.dbp = rng.normal(a < 18 ? 62 + a / 2 : 77, 7) + (p.hypertension ? 6 : 0)
    this.hr = rng.normal(a < 5 ? 110 : a < 12 ? 90 : 72, 8) + (p.hf || p.copd ? 7 : 0)
    this.spo2 = p.copd || p.ild ? rng.real(89, 95) : p.hf ? rng.real(93, 97) : rng.real(96, 99.5)
    this.rr = p.copd || p.ild ? rng.real(18, 24) : a < 5 ? rng.real(24, 32) : rng.real(13, 18)
    this.hba1c = p.diabetes ? Math.min(Math.max(rng.normal(61, 12), 43), 115) : rng.normal(37, 3)
    const egfr = 112 - 0.85 * Math.max(0, a - 30) + rng.normal(0, 10) - (p.diabetes ? 12 : 0) - (p.hf ? 18 : 0) - (cardio ? 5 : 0)
    this.egfr = Math.min(Math.max(egfr, 9), 125)
    this.creatinineBase = male ? 82 : 66
    this.cholesterol = Math.max(2.6, rng.normal(p.chd || p.diabetes ? 4.1 : 5.0, 0.9))
    this.bnp = p.hf ? Math.exp(rng.normal(Math.log(1400), 0.8)) : Math.exp(rng.normal(Math.log(90), 0.6))
    this.fev1Fvc = p.copd ? rng.real(38, 69) : rng.real(71, 86)
    this.hb = rng.normal(male ? 145 : 132, 10) - (p.hf ? 8 : 0)
  }

  weight(rng: Rng): number {
    return this.bmi * (this.height / 100) ** 2 + rng.normal(0, 0.8)
  }

  /** Observations of `what` for this patient at `minute`, linked to `encounter` when given. */
  record(chart: Chart, rng: Rng, what: Measurement, minute: number, encounter?: Encounter, unwell = false): Observation[] {
    const o = new ObservationFactory(chart, this.p, minute, this.latest, encounter)
    switch (what) {
      case 'bp': {
        const sys = this.sbp + rng.normal(0, 8) + (unwell ? rng.normal(5, 15) : 0)
        const dia = Math.min(this.dbp + rng.normal(0, 5), sys - 15)
        return [o.panel(OBS.bloodPressure, [o.component(OBS.systolic, sys), o.component(OBS.diastolic, dia)])]
      }
      case 'heartRate':
        return [o.quantity(OBS.heartRate, this.hr + rng.normal(0, 6) + (unwell ? rng.real(5, 30) : 0))]
      case 'respiratoryRate':
        return [o.quantity(OBS.respiratoryRate, this.rr + rng.normal(0, 1.5) + (unwell ? rng.real(2, 8) : 0))]
      case 'oxygenSaturation':
        return [o.quantity(OBS.oxygenSaturation, Math.min(100, this.spo2 + rng.normal(0, 0.8) - (unwell ? rng.real(0, 6) : 0)))]
      case 'temperature':
        return [o.quantity(OBS.temperature, rng.normal(36.8, 0.3) + (unwell && rng.chance(0.3) ? rng.real(1, 2.5) : 0))]
      case 'weight': {
        const weight = this.weight(rng)
        const out = [o.quantity(OBS.weight, weight)]
        if (!this.heightRecorded || this.p.age < 18) {
          out.push(o.quantity(OBS.height, this.height))
          this.heightRecorded = true
        }
        if (this.p.age >= 18) out.push(o.quantity(OBS.bmi, weight / (this.height / 100) ** 2))
        return out
      }
      case 'hba1c':
        return [o.lab(OBS.hba1c, this.hba1c + rng.normal(0, 3))]
      case 'renal': {
        const egfr = Math.max(5, this.egfr + rng.normal(0, 4))
        return [
          o.lab(OBS.creatinine, this.creatinineBase * (90 / egfr) ** 0.9 + rng.normal(0, 3)),
          o.lab(OBS.egfr, egfr),
          o.lab(OBS.potassium, rng.normal(this.p.hf ? 4.6 : 4.3, 0.35)),
          o.lab(OBS.sodium, rng.normal(this.p.hf ? 137 : 139.5, 2.2)),
        ]
      }
      case 'cholesterol':
        return [o.lab(OBS.cholesterol, this.cholesterol + rng.normal(0, 0.3))]
      case 'ntProBnp':
        return [o.lab(OBS.ntProBnp, this.bnp * Math.exp(rng.normal(0, 0.25)))]
      case 'fev1Fvc':
        return [o.quantity(OBS.fev1Fvc, this.fev1Fvc + rng.normal(0, 2))]
      case 'fbc':
        return [
          o.lab(FBC.haemoglobin, this.hb + rng.normal(0, 5)),
          o.lab(FBC.whiteCells, Math.max(2, rng.normal(unwell ? 11 : 7, 1.8))),
          o.lab(FBC.platelets, Math.max(80, rng.normal(260, 55))),
        ]
      case 'smoking': {
        const status = SMOKING_STATUS[this.p.smoking ?? 'never']
        return [o.coded(OBS.smoking, { coding: [{ system: SCT, code: status.code, display: status.display }], text: status.display })]
      }
    }
  }
}

class ObservationFactory {
  constructor(
    private readonly chart: Chart,
    private readonly p: Profile,
    private readonly minute: number,
    private readonly latest: number,
    private readonly encounter?: Encounter,
  ) {}

  private base(code: ObservationCode, issuedMinute = this.minute): Observation {
    const o: Observation = {
      resourceType: 'Observation',
      id: this.chart.id('obs'),
      status: 'final',
      category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: code.category, display: CATEGORY_DISPLAY[code.category] }] }],
      code: { coding: [{ system: LOINC, code: code.code, display: code.display }], text: code.display },
      subject: { reference: `Patient/${this.p.id}` },
    }
    if (this.encounter) o.encounter = ref(this.encounter)
    o.effectiveDateTime = formatInstant(this.minute)
    o.issued = formatInstant(issuedMinute)
    return this.chart.add(o)
  }

  quantity(code: ObservationCode, value: number): Observation {
    const o = this.base(code)
    o.valueQuantity = quantity(code, value)
    return o
  }

  /** Laboratory results are issued the next working day. */
  lab(code: ObservationCode, value: number): Observation {
    const day = nextWorkingDay(Math.floor(this.minute / MINUTES_PER_DAY) + 1)
    const issued = Math.max(ukInstant(day, 14 * 60 + (this.minute % 97)), this.minute + 60)
    const o = this.base(code, Math.max(Math.min(issued, this.latest), this.minute))
    o.valueQuantity = quantity(code, value)
    return o
  }

  coded(code: ObservationCode, value: Observation['valueCodeableConcept']): Observation {
    const o = this.base(code)
    o.valueCodeableConcept = value
    return o
  }

  panel(code: ObservationCode, component: ObservationComponent[]): Observation {
    const o = this.base(code)
    o.component = component
    return o
  }

  component(code: ObservationCode, value: number): ObservationComponent {
    return { code: { coding: [{ system: LOINC, code: code.code, display: code.display }] }, valueQuantity: quantity(code, value) }
  }
}

function quantity(code: ObservationCode, value: number): Quantity {
  const factor = 10 ** (code.decimals ?? 0)
  return { value: Math.round(value * factor) / factor, unit: code.unit, system: UCUM, code: code.ucum }
}
