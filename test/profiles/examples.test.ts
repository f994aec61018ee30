// The profile examples conform; valid variants pass; how bindings, extensions and bad input are handled
// — validation.html#profile, terminologies.html#strength
import { readdirSync } from 'node:fs'
import t from 'tap'
import { checkResource, initValidation } from '../../src/fhir/validation/index.js'
import { profileCheck } from '../../src/fhir/validation/profile-check.js'
import { validateAgainstProfile } from '../../src/fhir/validation/profile-validate.js'
import { BASE, EXAMPLES_DIR, PROFILE_IDS, codeChecker, errors, example, profile, show, validate } from './helpers.js'

t.before(() => initValidation())

t.test('every profile has an example that validates clean', async (t) => {
  t.same(readdirSync(EXAMPLES_DIR).sort(), PROFILE_IDS.map((id) => `${id}-example.json`).sort())
  for (const id of PROFILE_IDS) {
    const resource = example(id)
    t.same(resource.meta.profile, [BASE + id], `${id}: meta.profile names the profile`)
    t.same(validate(resource, id), [], `${id}: no issues against the profile`)
    t.same(checkResource(structuredClone(resource)), [], `${id}: no issues against the base R4 definitions`)
    t.same(errors(profileCheck(structuredClone(resource), resource.resourceType, profile(id))), [], `${id}: @medplum/core's own profile validation agrees`)
  }
})

t.test('NHS numbers: modulus 11 (chp-1)', async (t) => {
  const withNumber = (value: string) => {
    const patient = example('casehub-patient')
    patient.identifier[0].value = value
    return errors(validate(patient, 'casehub-patient'))
  }
  for (const valid of ['9434765919', '9996270475', '9991002685', '4010232137']) t.same(withNumber(valid), [], `${valid} is valid`)
  const invalid = ['9434765918', '4010232138', '943476591', '94347659190', 'abcdefghij', '943476591X']
  // 999000000 has remainder 1, so its check digit would be 10: no ten-digit number starting with it is valid
  for (let digit = 0; digit <= 9; digit++) invalid.push(`999000000${digit}`)
  for (const value of invalid) t.match(show(withNumber(value)), /Constraint chp-1 not met/, `${value} is not a valid NHS number`)
})

t.test('valid variants pass', async (t) => {
  const cases: [string, string, (r: any) => void][] = [
    ['GP by ODS code only', 'casehub-patient', (r) => { r.generalPractitioner = [{ identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'P91003' } }] }],
    ['no NHS number (0..1)', 'casehub-patient', (r) => { r.identifier = [{ system: 'https://example.org/mrn', value: 'M123' }] }],
    ['other identifiers are not NHS numbers (open slicing)', 'casehub-patient', (r) => { r.identifier.push({ system: 'https://example.org/mrn', value: '123' }) }],
    ['NHS number without a verification status', 'casehub-patient', (r) => { delete r.identifier[0].extension }],
    ['rejected with a reason', 'casehub-task', (r) => {
      r.status = 'rejected'
      r.statusReason = { coding: [{ system: 'https://casehub.org/fhir/CodeSystem/referral-rejection-reason', code: 'under-18' }] }
    }],
    ['a rejection reason outside the extensible ValueSet', 'casehub-task', (r) => { r.status = 'rejected'; r.statusReason = { text: 'Moved out of area' } }],
    ['reason by reference only', 'casehub-referral', (r) => { delete r.reasonCode }],
    ['a 3-month plan from the 30th ends on the last day of the month', 'casehub-careplan', (r) => { r.period = { start: '2024-11-30', end: '2025-02-28' } }],
    ['date-time period', 'casehub-careplan', (r) => { r.period = { start: '2025-01-20T09:00:00Z', end: '2025-04-20T17:00:00+01:00' } }],
    ['activities without costs', 'casehub-careplan', (r) => { for (const a of r.activity) delete a.extension }],
    ['an emergency plan with other categories too', 'casehub-emergency-plan', (r) => { r.category.unshift({ text: 'Heart failure' }) }],
    ['a contained Patient as subject', 'casehub-goal', (r) => {
      r.contained = [{ resourceType: 'Patient', id: 'pt' }]
      r.subject = { reference: '#pt' }
      r.expressedBy = { reference: '#pt' }
    }],
    ['absolute and conditional references', 'casehub-referral', (r) => {
      r.subject = { reference: 'https://casehub.example.nhs.uk/fhir/Patient/p-000001/_history/2' }
    }],
  ]
  for (const [name, id, change] of cases) {
    const resource = example(id)
    change(resource)
    t.same(errors(validate(resource, id)), [], name)
  }
})

t.test('bindings are checked only with a CodeChecker that knows the ValueSet', async (t) => {
  const task = example('casehub-task')
  task.businessStatus = { coding: [{ system: 'https://casehub.org/fhir/CodeSystem/risk-tier', code: 'urgent' }] }
  t.same(validateAgainstProfile(task, profile('casehub-task')), [], 'no checker: not checked')
  t.same(validateAgainstProfile(task, profile('casehub-task'), { codeChecker: () => undefined }), [], 'unknown ValueSet: not checked')
  t.equal(errors(validateAgainstProfile(task, profile('casehub-task'), { codeChecker })).length, 1, 'known ValueSet: checked')
})

t.test('extension definitions come from resolveProfile', async (t) => {
  const plan = example('casehub-careplan')
  plan.extension[0].valueMoney.currency = 'EUR'
  const unresolved = validateAgainstProfile(plan, profile('casehub-careplan'), { resolveProfile: () => undefined })
  t.equal(errors(unresolved).length, 0, 'unknown definition: value not checked')
  t.match(show(unresolved), /warning not-found CarePlan.extension\[0\]: Unknown extension definition https:\/\/casehub.org\/fhir\/StructureDefinition\/casehub-total-cost/)
  t.match(show(validate(plan, 'casehub-careplan')), /CarePlan.extension\[0\].valueMoney: Constraint chx-1 not met/, 'default: CaseHub\'s own definitions')
})

t.test('a resource of another type, or malformed, gives issues and never throws', async (t) => {
  t.match(show(validate(example('casehub-goal'), 'casehub-careplan')), /The profile .*casehub-careplan is for CarePlan, not Goal/)
  const malformed: [string, any][] = [
    ['casehub-patient', { resourceType: 'Patient', identifier: 'x', generalPractitioner: [null, 3] }],
    ['casehub-careplan', { resourceType: 'CarePlan', period: [], activity: [{ extension: {} }], extension: [1, { url: 7 }] }],
    ['casehub-goal', { resourceType: 'Goal', target: [{ dueDate: { nested: true } }], expressedBy: 'Patient/1' }],
  ]
  for (const [id, resource] of malformed) t.doesNotThrow(() => validate(resource, id), `${id} malformed`)
})
