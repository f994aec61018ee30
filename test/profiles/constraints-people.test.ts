// Every constraint of the patient, goal, care team, episode and risk assessment profiles fails with
// its issue and location — profiling.html, validation.html#profile
import t from 'tap'
import { initValidation } from '../../src/fhir/validation/index.js'
import { BASE, runConstraintTable } from './helpers.js'

t.before(() => initValidation())

const NHS = 'https://fhir.nhs.uk/Id/nhs-number'
const STATUS_SYSTEM = 'https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland'
const STATUS_URL = BASE + 'casehub-nhs-number-verification-status'
const status = (code: string) => ({ url: STATUS_URL, valueCodeableConcept: { coding: [{ system: STATUS_SYSTEM, code }] } })

runConstraintTable(t, 'casehub-patient', [
  {
    name: 'two NHS numbers (slice nhsNumber 0..1)',
    change: (r) => { r.identifier.push({ system: NHS, value: '9434765919' }) },
    text: "Incorrect number of values provided for slice 'nhsNumber': expected 0..1, but found 2", expression: 'Patient.identifier',
  },
  { name: 'NHS number without a value (1..1)', change: (r) => { delete r.identifier[0].value }, text: "Missing required element 'value'", expression: 'Patient.identifier[0].value' },
  { name: 'NHS number failing modulus 11 (chp-1)', change: (r) => { r.identifier[0].value = '9434765918' }, text: 'Constraint chp-1 not met', expression: 'Patient.identifier[0].value' },
  { name: 'NHS number of 9 digits (chp-1)', change: (r) => { r.identifier[0].value = '943476591' }, text: 'Constraint chp-1 not met', expression: 'Patient.identifier[0].value' },
  {
    name: 'NHS number in the second identifier, with spaces (chp-1)',
    change: (r) => { r.identifier.unshift({ system: 'https://example.org/mrn', value: 'X1' }); r.identifier[1].value = '999 627 0475' },
    text: 'Constraint chp-1 not met', expression: 'Patient.identifier[1].value',
  },
  {
    name: 'NHS number whose check digit would be 10 (chp-1)',
    // weights 10..2 over 999000000 sum to 243 = 22 * 11 + 1, so 11 - 1 = 10: no valid check digit
    change: (r) => { r.identifier[0].value = '9990000000' }, text: 'Constraint chp-1 not met', expression: 'Patient.identifier[0].value',
  },
  {
    name: 'two verification statuses (slice verificationStatus 0..1)',
    change: (r) => { r.identifier[0].extension.push(status('02')) },
    text: "slice 'verificationStatus': expected 0..1, but found 2", expression: 'Patient.identifier[0].extension',
  },
  {
    name: 'verification status code outside 01..08 (required binding of the extension)',
    change: (r) => { r.identifier[0].extension[0] = status('09') },
    text: 'is not in the required ValueSet https://casehub.org/fhir/ValueSet/nhs-number-verification-status',
    expression: 'Patient.identifier[0].extension[0].valueCodeableConcept',
  },
  {
    name: 'verification status as a Coding, not a CodeableConcept',
    change: (r) => { r.identifier[0].extension[0] = { url: STATUS_URL, valueCoding: { system: STATUS_SYSTEM, code: '01' } } },
    text: 'Type Coding is not allowed for value[x]', expression: 'Patient.identifier[0].extension[0].valueCoding',
  },
  {
    name: 'verification status without a value (value[x] 1..1)',
    change: (r) => { r.identifier[0].extension[0] = { url: STATUS_URL, extension: [{ url: 'x', valueString: 'y' }] } },
    text: "Missing required element 'value[x]'", expression: 'Patient.identifier[0].extension[0].value[x]',
  },
  {
    name: 'general practitioner by display only (chp-2)',
    change: (r) => { r.generalPractitioner = [{ display: 'Dr Patel' }] }, text: 'Constraint chp-2 not met', expression: 'Patient.generalPractitioner[0]',
  },
  {
    name: 'general practitioner by a non-ODS identifier (chp-2)',
    change: (r) => { r.generalPractitioner.push({ identifier: { system: 'https://example.org/gp', value: 'P91003' } }) },
    text: 'Constraint chp-2 not met', expression: 'Patient.generalPractitioner[1]',
  },
])

runConstraintTable(t, 'casehub-goal', [
  { name: 'no target (1..*)', change: (r) => { delete r.target }, text: "Missing required element 'target'", expression: 'Goal.target' },
  {
    name: 'a target without a due date (due[x] 1..1)',
    change: (r) => { r.target.push({ measure: { text: 'Steps a day' }, detailQuantity: { value: 3000 } }) },
    text: "Missing required element 'due[x]'", expression: 'Goal.target[1].due[x]',
  },
  {
    name: 'due as a Duration, not a date',
    change: (r) => { r.target[0] = { dueDuration: { value: 12, unit: 'weeks', system: 'http://unitsofmeasure.org', code: 'wk' } } },
    text: 'Type Duration is not allowed for due[x] by the profile (allowed: date)', expression: 'Goal.target[0].dueDuration',
  },
  { name: 'no expressedBy (1..1)', change: (r) => { delete r.expressedBy }, text: "Missing required element 'expressedBy'", expression: 'Goal.expressedBy' },
  { name: 'expressed by a practitioner', change: (r) => { r.expressedBy = { reference: 'Practitioner/pr-cm-1' } }, text: 'expected "Patient"', expression: 'Goal.expressedBy' },
  { name: 'subject a Group', change: (r) => { r.subject = { reference: 'Group/g-1' } }, text: 'expected "Patient"', expression: 'Goal.subject' },
])

runConstraintTable(t, 'casehub-careteam', [
  { name: 'no subject (1..1)', change: (r) => { delete r.subject }, text: "Missing required element 'subject'", expression: 'CareTeam.subject' },
  { name: 'subject a Group', change: (r) => { r.subject = { reference: 'Group/g-1' } }, text: 'expected "Patient"', expression: 'CareTeam.subject' },
  { name: 'no participant (1..*)', change: (r) => { delete r.participant }, text: "Missing required element 'participant'", expression: 'CareTeam.participant' },
  {
    name: 'a role outside the MDT roles (required binding)',
    change: (r) => { r.participant[1].role = [{ coding: [{ system: 'http://snomed.info/sct', code: '309343006', display: 'Physician' }] }] },
    text: 'is not in the required ValueSet https://casehub.org/fhir/ValueSet/mdt-roles', expression: 'CareTeam.participant[1].role[0]',
  },
])

runConstraintTable(t, 'casehub-episode', [
  { name: 'no type (1..*)', change: (r) => { delete r.type }, text: "Missing required element 'type'", expression: 'EpisodeOfCare.type' },
  { name: 'no managingOrganization (1..1)', change: (r) => { delete r.managingOrganization }, text: "Missing required element 'managingOrganization'", expression: 'EpisodeOfCare.managingOrganization' },
  { name: 'no period (1..1)', change: (r) => { delete r.period }, text: "Missing required element 'period'", expression: 'EpisodeOfCare.period' },
  { name: 'period without a start (1..1)', change: (r) => { r.period = { end: '2025-04-20' } }, text: "Missing required element 'start'", expression: 'EpisodeOfCare.period.start' },
])

runConstraintTable(t, 'casehub-risk-assessment', [
  { name: 'subject a Group', change: (r) => { r.subject = { reference: 'Group/g-1' } }, text: 'expected "Patient"', expression: 'RiskAssessment.subject' },
  { name: 'no prediction (1..*)', change: (r) => { delete r.prediction }, text: "Missing required element 'prediction'", expression: 'RiskAssessment.prediction' },
  {
    name: 'a prediction without a tier (qualitativeRisk 1..1)',
    change: (r) => { delete r.prediction[0].qualitativeRisk }, text: "Missing required element 'qualitativeRisk'", expression: 'RiskAssessment.prediction[0].qualitativeRisk',
  },
  {
    name: 'a tier outside mild/moderate/severe (required binding)',
    change: (r) => { r.prediction[0].qualitativeRisk = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/risk-probability', code: 'high' }] } },
    text: 'is not in the required ValueSet https://casehub.org/fhir/ValueSet/risk-tiers', expression: 'RiskAssessment.prediction[0].qualitativeRisk',
  },
])
