// Care plans that GP practices agree at a long-term condition review (diabetes, heart failure,
// COPD, asthma), with measurable Goals where there is a target value.
import type { CarePlan, Condition, Goal, GoalTarget } from '@medplum/fhirtypes'
import { orgRef, patientRef, ref, type Chart } from './chart.js'
import type { Contact, Problems } from './clinical.js'
import * as C from './codes.js'
import { formatDay, formatInstant, MINUTES_PER_DAY } from './dates.js'
import type { Profile } from './patient.js'
import type { Rng } from './prng.js'

interface PlanKind {
  category: C.Concept
  title: string
  activities: string[]
  goals: { description: string; target?: GoalTarget }[]
}

const measure = (code: C.ObservationCode) => ({ coding: [{ system: C.LOINC, code: code.code, display: code.display }] })
const below = (code: C.ObservationCode, value: number): GoalTarget => ({
  measure: measure(code),
  detailQuantity: { value, comparator: '<', unit: code.unit, system: C.UCUM, code: code.ucum },
})

// Categories are SNOMED care plan concepts as used in the Synthea records.
const PLANS: Record<'diabetes' | 'hf' | 'copd' | 'asthma', PlanKind> = {
  diabetes: {
    category: C.concept('698360004', 'Diabetes self management plan'),
    title: 'Diabetes care plan',
    activities: ['Annual foot check', 'Retinal screening', 'Structured education (DESMOND or DAFNE)', 'Medication review'],
    goals: [
      { description: 'HbA1c below 58 mmol/mol', target: below(C.OBS.hba1c, 58) },
      { description: 'Blood pressure below 140/80 mmHg', target: below(C.OBS.systolic, 140) },
      { description: 'Check my feet every day' },
    ],
  },
  hf: {
    category: C.concept('735984001', 'Heart failure self management plan'),
    title: 'Heart failure management plan',
    activities: ['Daily weights', 'Fluid and salt advice', 'Medicines titration review', 'Influenza vaccination'],
    goals: [
      { description: 'Weigh myself every morning and act on a gain of more than 2 kg in 3 days' },
      { description: 'Blood pressure below 140/90 mmHg', target: below(C.OBS.systolic, 140) },
    ],
  },
  copd: {
    category: C.concept('412776001', 'Chronic obstructive pulmonary disease clinical management plan'),
    title: 'COPD self-management plan',
    activities: ['Inhaler technique check', 'Rescue pack issued', 'Pulmonary rehabilitation offered', 'Stop smoking support'],
    goals: [{ description: 'Know when to start my rescue pack and tell the practice' }, { description: 'Stay out of hospital this winter' }],
  },
  asthma: {
    category: C.concept('699728000', 'Asthma self management'),
    title: 'Asthma action plan',
    activities: ['Personal asthma action plan', 'Inhaler technique check', 'Preventer inhaler adherence review'],
    goals: [{ description: 'Use my preventer inhaler every day' }, { description: 'No asthma attacks needing oral steroids' }],
  },
}

export function addGpCarePlans(chart: Chart, rng: Rng, p: Profile, problems: Problems, contacts: Contact[]) {
  const review = contacts.find((c) => c.kind === 'review')
  if (!review) return
  const kinds: [keyof typeof PLANS, Condition | undefined][] = [
    ['diabetes', problems.diabetes], ['hf', problems.hf], ['copd', problems.copd], ['asthma', problems.asthma],
  ]
  const day = Math.floor(review.start / MINUTES_PER_DAY)
  for (const [kind, condition] of kinds) {
    if (!condition || !rng.chance(0.7)) continue
    const plan = PLANS[kind]
    const goals = plan.goals
      .filter(() => rng.chance(0.6))
      .map((g) =>
        chart.add<Goal>({
          resourceType: 'Goal',
          id: chart.id('goal'),
          lifecycleStatus: 'active',
          achievementStatus: C.coded('http://terminology.hl7.org/CodeSystem/goal-achievement', 'in-progress', 'In Progress'),
          description: C.text(g.description),
          subject: patientRef(p.id),
          startDate: formatDay(day),
          ...(g.target ? { target: [{ ...g.target, dueDate: formatDay(day + 365) }] } : { target: [{ dueDate: formatDay(day + 365) }] }),
          addresses: [ref(condition)],
        }),
      )
    const activity = plan.activities
      .filter(() => rng.chance(0.7))
      .map((description) => ({ detail: { status: 'in-progress' as const, description } }))
    chart.add<CarePlan>({
      resourceType: 'CarePlan',
      id: chart.id('cp'),
      status: 'active',
      intent: 'plan',
      category: [C.sct(plan.category)],
      title: plan.title,
      subject: patientRef(p.id),
      encounter: ref(review.encounter),
      period: { start: formatDay(day) },
      created: formatInstant(review.end ?? review.start),
      author: orgRef(p.practice.id),
      addresses: [ref(condition)],
      ...(goals.length ? { goal: goals.map(ref) } : {}),
      ...(activity.length ? { activity } : {}),
    })
  }
}
