// What case management plans say: patient-expressed goals, plan activities per condition group,
// and how goals are seen to progress. Used by referrals.ts for the episodes it writes.
import { Weighted } from './prng.js'

export const ACHIEVEMENT_FINAL = new Weighted<[string, string]>([
  [['achieved', 'Achieved'], 55], [['sustaining', 'Sustaining'], 10], [['improving', 'Improving'], 15], [['not-achieved', 'Not Achieved'], 20],
])
export const ACHIEVEMENT_ONGOING = new Weighted<[string, string]>([
  [['in-progress', 'In Progress'], 60], [['improving', 'Improving'], 25], [['no-change', 'No Change'], 10], [['worsening', 'Worsening'], 5],
])

export const GOALS = {
  general: [
    'No unplanned hospital admissions in the next three months',
    'Know who to call when I feel unwell, in and out of hours',
    'Take my medicines as prescribed, using a dosette box',
    'Get out of the house at least twice a week',
    'Join a community group or activity I enjoy',
    'Walk to the local shops without stopping',
  ],
  hf: [
    'Weigh myself every morning and report a gain of more than 2 kg in 3 days',
    'Keep to my fluid allowance and reduce salt',
    'Understand my heart failure medicines and what they are for',
  ],
  respiratory: [
    'Use my inhalers correctly and know when to use my rescue pack',
    'Walk for ten minutes a day with less breathlessness',
    'Complete pulmonary rehabilitation',
    'Stop smoking, with support from the stop smoking service',
  ],
  diabetes: ['Check my feet every day and attend my foot check', 'Bring my HbA1c below 58 mmol/mol', 'Attend my retinal screening appointment'],
}

export const ACTIVITIES = {
  general: [
    'Holistic needs assessment',
    'Medication review with the practice pharmacist',
    'Falls risk assessment and home safety check',
    'Benefits and housing advice via adult social care',
    'Carer assessment offered',
    'Review of the plan with the patient and GP at 3 months',
  ],
  hf: ['Heart failure self-management education', 'Daily weight and symptom diary', 'Titration of heart failure medicines with the GP'],
  respiratory: ['Inhaler technique review', 'COPD self-management plan and rescue pack', 'Referral to pulmonary rehabilitation discussed'],
  diabetes: ['Diabetes education with the district nursing diabetes project', 'Foot care advice'],
}
