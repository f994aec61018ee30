// Every constraint of the referral, onward referral, task, care plan and emergency plan profiles
// fails with its issue and location — profiling.html, validation.html#profile
import t from 'tap'
import { initValidation } from '../../src/fhir/validation/index.js'
import { BASE, runConstraintTable } from './helpers.js'

t.before(() => initValidation())

const SCT = 'http://snomed.info/sct'
const cost = (url: string, value: number, currency = 'GBP') => ({ url: BASE + url, valueMoney: { value, currency } })

runConstraintTable(t, 'casehub-referral', [
  { name: 'no reason (chr-1)', change: (r) => { delete r.reasonCode; delete r.reasonReference }, text: 'Constraint chr-1 not met', expression: 'ServiceRequest' },
  { name: 'intent other than the fixed order', change: (r) => { r.intent = 'plan' }, text: "is not the fixed value 'order'", expression: 'ServiceRequest.intent' },
  { name: 'no category (1..*)', change: (r) => { delete r.category }, text: "Missing required element 'category'", expression: 'ServiceRequest.category' },
  { name: 'subject not a Patient', change: (r) => { r.subject = { reference: 'Group/g-1' } }, text: 'Invalid reference target: got "Group", expected "Patient"', expression: 'ServiceRequest.subject' },
  { name: 'no authoredOn (1..1)', change: (r) => { delete r.authoredOn }, text: "Missing required element 'authoredOn'", expression: 'ServiceRequest.authoredOn' },
  { name: 'no requester (1..1)', change: (r) => { delete r.requester }, text: "Missing required element 'requester'", expression: 'ServiceRequest.requester' },
])

runConstraintTable(t, 'casehub-onward-referral', [
  { name: 'no code (1..1)', change: (r) => { delete r.code }, text: "Missing required element 'code'", expression: 'ServiceRequest.code' },
  {
    name: 'code outside the required onward-referral-codes',
    change: (r) => { r.code = { coding: [{ system: SCT, code: '183452005', display: 'Emergency hospital admission' }] } },
    text: 'Code http://snomed.info/sct|183452005 is not in the required ValueSet https://casehub.org/fhir/ValueSet/onward-referral-codes',
    expression: 'ServiceRequest.code',
  },
  {
    name: 'code as text only, under a required binding',
    change: (r) => { r.code = { text: 'Walking group' } },
    text: 'A code from the required ValueSet https://casehub.org/fhir/ValueSet/onward-referral-codes is missing',
    expression: 'ServiceRequest.code',
  },
  { name: 'no performer (1..*)', change: (r) => { delete r.performer }, text: "Missing required element 'performer'", expression: 'ServiceRequest.performer' },
  {
    name: 'performer an Organization, not a HealthcareService',
    change: (r) => { r.performer = [{ reference: 'Organization/svc-social-prescribing' }] },
    text: 'expected "HealthcareService"', expression: 'ServiceRequest.performer[0]',
  },
  { name: "the base referral profile's chr-1 still applies", change: (r) => { delete r.reasonCode }, text: 'Constraint chr-1 not met', expression: 'ServiceRequest' },
  { name: "the base referral profile's intent still applies", change: (r) => { r.intent = 'proposal' }, text: 'fixed value', expression: 'ServiceRequest.intent' },
])

runConstraintTable(t, 'casehub-task', [
  { name: 'rejected without a statusReason (cht-1)', change: (r) => { r.status = 'rejected' }, text: 'Constraint cht-1 not met', expression: 'Task' },
  {
    name: 'businessStatus not a risk tier',
    change: (r) => { r.businessStatus = { coding: [{ system: 'https://casehub.org/fhir/CodeSystem/risk-tier', code: 'urgent' }] } },
    text: 'is not in the required ValueSet https://casehub.org/fhir/ValueSet/risk-tiers', expression: 'Task.businessStatus',
  },
  { name: 'businessStatus as text only', change: (r) => { r.businessStatus = { text: 'Discharged' } }, text: 'A code from the required ValueSet', expression: 'Task.businessStatus' },
  { name: 'intent other than the fixed order', change: (r) => { r.intent = 'plan' }, text: 'fixed value', expression: 'Task.intent' },
  { name: 'no focus (1..1)', change: (r) => { delete r.focus }, text: "Missing required element 'focus'", expression: 'Task.focus' },
  { name: 'focus not a ServiceRequest', change: (r) => { r.focus = { reference: 'Patient/p-000001' } }, text: 'expected "ServiceRequest"', expression: 'Task.focus' },
  { name: 'no owner (1..1)', change: (r) => { delete r.owner }, text: "Missing required element 'owner'", expression: 'Task.owner' },
])

runConstraintTable(t, 'casehub-careplan', [
  { name: 'period longer than 3 months (chc-1)', change: (r) => { r.period.end = '2025-04-21' }, text: 'Constraint chc-1 not met', expression: 'CarePlan.period' },
  { name: 'no period (1..1)', change: (r) => { delete r.period }, text: "Missing required element 'period'", expression: 'CarePlan.period' },
  { name: 'no period.start (1..1)', change: (r) => { delete r.period.start }, text: "Missing required element 'start'", expression: 'CarePlan.period.start' },
  { name: 'no period.end (1..1)', change: (r) => { delete r.period.end }, text: "Missing required element 'end'", expression: 'CarePlan.period.end' },
  { name: 'subject not a Patient', change: (r) => { r.subject = { reference: 'Group/g-1' } }, text: 'expected "Patient"', expression: 'CarePlan.subject' },
  { name: 'no goal (1..*)', change: (r) => { delete r.goal }, text: "Missing required element 'goal'", expression: 'CarePlan.goal' },
  {
    name: 'two total costs (slice totalCost 0..1)',
    change: (r) => { r.extension.push(cost('casehub-total-cost', 5)) },
    text: "Incorrect number of values provided for slice 'totalCost': expected 0..1, but found 2", expression: 'CarePlan.extension',
  },
  {
    name: 'two costs on one activity (slice activityCost 0..1)',
    change: (r) => { r.activity[0].extension.push(cost('casehub-activity-cost', 5)) },
    text: "slice 'activityCost': expected 0..1, but found 2", expression: 'CarePlan.activity[0].extension',
  },
  {
    name: 'activity cost in dollars (chx-1 of the activity-cost extension)',
    change: (r) => { r.activity[1].extension[0] = cost('casehub-activity-cost', 100.5, 'USD') },
    text: 'Constraint chx-1 not met', expression: 'CarePlan.activity[1].extension[0].valueMoney',
  },
  {
    name: 'negative total cost (chx-1 of the total-cost extension)',
    change: (r) => { r.extension[0] = cost('casehub-total-cost', -1) },
    text: 'Constraint chx-1 not met', expression: 'CarePlan.extension[0].valueMoney',
  },
  {
    name: 'total cost as a Quantity, not Money',
    change: (r) => { r.extension[0] = { url: BASE + 'casehub-total-cost', valueQuantity: { value: 412.5, unit: 'GBP' } } },
    text: 'Type Quantity is not allowed for value[x] by the profile (allowed: Money)', expression: 'CarePlan.extension[0].valueQuantity',
  },
  {
    name: 'activity cost without a value (value[x] 1..1)',
    change: (r) => { r.activity[0].extension[0] = { url: BASE + 'casehub-activity-cost' } },
    text: "Missing required element 'value[x]'", expression: 'CarePlan.activity[0].extension[0].value[x]', baseInvalid: true,
  },
  {
    name: 'nested extension in a cost (Extension.extension 0..0)',
    change: (r) => { r.extension[0] = { url: BASE + 'casehub-total-cost', extension: [{ url: 'note', valueString: 'estimate' }] } },
    text: 'Invalid number of values: expected 0..0, but found 1', expression: 'CarePlan.extension[0].extension',
  },
])

const etpCategory = { coding: [{ system: 'https://casehub.org/fhir/CodeSystem/care-plan-category', code: 'emergency-treatment-plan' }] }
runConstraintTable(t, 'casehub-emergency-plan', [
  {
    name: 'no emergency treatment plan category (slice emergencyPlan 1..1)',
    change: (r) => { r.category = [{ coding: [{ system: SCT, code: '734163000', display: 'Care plan' }] }] },
    text: "Incorrect number of values provided for slice 'emergencyPlan': expected 1..1, but found 0", expression: 'CarePlan.category',
  },
  { name: 'no category at all (1..*)', change: (r) => { delete r.category }, text: "Missing required element 'category'", expression: 'CarePlan.category' },
  { name: 'the category twice (slice max 1)', change: (r) => { r.category.push(etpCategory) }, text: 'expected 1..1, but found 2', expression: 'CarePlan.category' },
  { name: "the care plan profile's chc-1 still applies", change: (r) => { r.period.end = '2025-06-01' }, text: 'Constraint chc-1 not met', expression: 'CarePlan.period' },
  { name: "the care plan profile's goal still applies", change: (r) => { delete r.goal }, text: "Missing required element 'goal'", expression: 'CarePlan.goal' },
])
