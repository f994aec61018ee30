// Why profile-validate.ts compiles its own rules: what @medplum/core 4.5.2's validateResource(resource,
// { profile }) misses or gets wrong for these profiles. If an upgrade fixes one, its case here fails.
import t from 'tap'
import { initValidation } from '../../src/fhir/validation/index.js'
import { profileCheck } from '../../src/fhir/validation/profile-check.js'
import { errors, example, profile, show, validate } from './helpers.js'

t.before(() => initValidation())

const cases: [string, string, (r: any) => void, string][] = [
  ['an invariant on an element of a slice', 'casehub-patient', (r) => { r.identifier[0].value = '9434765918' }, 'Patient.identifier[0].value: Constraint chp-1'],
  ['slice cardinality inside a BackboneElement', 'casehub-careplan', (r) => { r.activity[0].extension.push(r.activity[0].extension[0]) }, "slice 'activityCost'"],
  ['a narrowed choice type', 'casehub-goal', (r) => { r.target[0] = { dueDuration: { value: 1, unit: 'wk' } } }, 'Type Duration is not allowed'],
  ['a required element inside a BackboneElement', 'casehub-goal', (r) => { r.target[0] = { measure: { text: 'x' } } }, "Missing required element 'due[x]'"],
  ['a required binding', 'casehub-task', (r) => { r.businessStatus = { text: 'Discharged' } }, 'A code from the required ValueSet'],
  ['an extension definition', 'casehub-careplan', (r) => { r.extension[0].valueMoney.currency = 'USD' }, 'Constraint chx-1'],
  ['a reference target (medplum: a warning only)', 'casehub-goal', (r) => { r.expressedBy = { reference: 'Practitioner/1' } }, 'Invalid reference target'],
]

for (const [name, id, change, expected] of cases) {
  t.test(name, async (t) => {
    const resource = example(id)
    change(resource)
    t.match(show(errors(validate(resource, id))), expected, 'found by validateAgainstProfile')
    t.same(errors(profileCheck(structuredClone(resource), resource.resourceType, profile(id))), [], 'missed by @medplum/core')
  })
}

t.test('medplum counts a nested extension slice as a slice of the identifiers', async (t) => {
  const patient = example('casehub-patient')
  patient.identifier.push(structuredClone(patient.identifier[0]))
  t.match(show(errors(validate(patient, 'casehub-patient'))), "Patient.identifier: Incorrect number of values provided for slice 'nhsNumber'")
  t.match(show(errors(profileCheck(patient, 'Patient', profile('casehub-patient')))), "slice 'verificationStatus': expected 0..1, but found 2")
})
