// Invariants of data types and embedded resources found at any depth — R4 conformance-rules.html#constraints
import t from 'tap'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { checkResource, initValidation } from '../../../src/fhir/validation/index.js'
import { invariantCheck } from '../../../src/fhir/validation/invariant-check.js'

const show = (issues: OperationOutcomeIssue[]) =>
  issues.map((i) => `${i.severity} ${i.code} ${i.expression?.join(',')}: ${i.diagnostics}`).join('\n')

const badQuantity = { value: 1, code: 'kg' }
const badPeriod = { start: '2021-01-01', end: '2020-01-01' }

t.before(() => initValidation())

t.test('invariants are checked wherever their type occurs', async (t) => {
  const cases: { name: string; resource: Record<string, unknown>; expression: string; message: RegExp }[] = [
    {
      name: 'Quantity in the choice value of an extension',
      resource: { resourceType: 'Patient', extension: [{ url: 'http://example.org/q', valueQuantity: badQuantity }] },
      expression: 'Patient.extension[0].valueQuantity',
      message: /qty-3/,
    },
    {
      name: 'Quantity in a nested extension',
      resource: {
        resourceType: 'Patient',
        extension: [{ url: 'http://example.org/a', extension: [{ url: 'b', valueQuantity: badQuantity }] }],
      },
      expression: 'Patient.extension[0].extension[0].valueQuantity',
      message: /qty-3/,
    },
    {
      name: 'Quantity in a recursive backbone element (item.item)',
      resource: {
        resourceType: 'QuestionnaireResponse',
        status: 'completed',
        item: [{ linkId: '1', item: [{ linkId: '1.1', answer: [{ valueQuantity: badQuantity }] }] }],
      },
      expression: 'QuestionnaireResponse.item[0].item[0].answer[0].valueQuantity',
      message: /qty-3/,
    },
    {
      name: 'Period in a contained resource',
      resource: {
        resourceType: 'Patient',
        contained: [{ resourceType: 'Encounter', id: 'e', status: 'finished', class: { code: 'AMB' }, period: badPeriod }],
        extension: [{ url: 'http://example.org/e', valueReference: { reference: '#e' } }],
      },
      expression: 'Patient.contained[0].period',
      message: /per-1/,
    },
    {
      name: 'root invariant of a Bundle entry resource',
      resource: {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [{ resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueString: 'x', dataAbsentReason: { text: 'y' } } }],
      },
      expression: 'Bundle.entry[0].resource',
      message: /obs-6/,
    },
    {
      name: 'Organization in a Bundle entry (org-1)',
      resource: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Organization', active: true } }] },
      expression: 'Bundle.entry[0].resource',
      message: /org-1/,
    },
  ]
  for (const c of cases) {
    const issues = checkResource(c.resource)
    const match = issues.find((i) => i.severity === 'error' && i.expression?.[0] === c.expression)
    t.ok(match, `${c.name}: error at ${c.expression}`, { issues: show(issues) })
    if (match) t.match(match.diagnostics, c.message, `${c.name}: message`)
  }
})

t.test('a contained resource resolves local references against its container', async (t) => {
  const patient = {
    resourceType: 'Patient',
    contained: [
      { resourceType: 'Practitioner', id: 'p', qualification: [{ code: { text: 'MD' }, issuer: { reference: '#o' } }] },
      { resourceType: 'Organization', id: 'o', name: 'Clinic' },
    ],
    generalPractitioner: [{ reference: '#p' }],
  }
  t.same(checkResource(patient), [], show(checkResource(patient)))
})

t.test('malformed primitive extensions do not break the invariant walk', async (t) => {
  const patient = { resourceType: 'Patient', birthDate: '2000-01-01', _birthDate: 'oops', name: [{ given: ['a'], _given: [7] }] }
  t.same(invariantCheck(patient, 'Patient'), [])
  t.ok(checkResource(patient).some((i) => i.severity === 'error'), 'the schema check reports them')
})
