// Parts of resource validation: resource type list, schema preparation, locations, date ordering, depth limit
import { createRequire } from 'node:module'
import t from 'tap'
import { Ajv } from 'ajv'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { isResourceType, resourceTypes } from '../../../src/fhir/validation/index.js'
import { loadRawSchema } from '../../../src/fhir/validation/definitions.js'
import { buildSchema, toJsPattern } from '../../../src/fhir/validation/schema-build.js'
import { mergeIssues, pointerToFhirPath, resolveChoiceExpression } from '../../../src/fhir/validation/issues.js'
import { calendarProblem, instantRange, isCertainlyAfter } from '../../../src/fhir/validation/dates.js'
import { narrativeProblem } from '../../../src/fhir/validation/narrative.js'
import { findTooDeep, MAX_DEPTH } from '../../../src/fhir/validation/preflight.js'

const require = createRequire(import.meta.url)

t.test('resource types are the 146 R4 resource types', async (t) => {
  const types = resourceTypes()
  t.equal(types.length, 146)
  t.same(types, [...types].sort(), 'sorted')
  for (const name of ['Patient', 'Observation', 'Bundle', 'Parameters', 'Binary', 'OperationOutcome', 'MedicinalProductUndesirableEffect']) {
    t.ok(isResourceType(name), name)
    t.ok(types.includes(name), `${name} listed`)
  }
  for (const name of ['Foo', 'Element', 'HumanName', 'Resource', 'DomainResource', 'Project', 'User', 'Bot', 'SubscriptionStatus', 'patient', '', 'constructor', '__proto__']) {
    t.notOk(isResourceType(name), `${JSON.stringify(name)} is not a resource type`)
  }
  types.pop()
  t.equal(resourceTypes().length, 146, 'callers get a copy')
})

t.test('the compiled schema is a valid draft-06 schema and the shipped one is untouched', async (t) => {
  const raw = loadRawSchema()
  t.equal(raw.$schema, 'http://json-schema.org/draft-06/schema#')
  const built = buildSchema(raw)
  const ajv = new Ajv({ strict: false })
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'))
  t.ok(ajv.validateSchema(built), JSON.stringify(ajv.errors?.slice(0, 3)))
  t.ok(raw.definitions.Meta.properties.project, 'shipped schema not modified')
  t.notOk(built.definitions.Meta.properties.project, 'non-R4 Meta.project removed')
  t.notOk(built.definitions.Project, 'non-R4 resource definitions removed')
  t.same(built.definitions.ResourceList, { fhirResource: true })
})

t.test('R4 regexes keep their XML Schema meaning of whitespace', async (t) => {
  const string = new RegExp(toJsPattern('^[ \\r\\n\\t\\S]+$'), 'u')
  const code = new RegExp(toJsPattern('^[^\\s]+(\\s[^\\s]+)*$'), 'u')
  const uri = new RegExp(toJsPattern('^\\S*$'), 'u')
  for (const ok of [' ', 'a b', 'tab\there', 'M.\u00a0Dupont', '山田\u3000太郎', '😀', 'line\nbreak']) t.ok(string.test(ok), `string ${JSON.stringify(ok)}`)
  for (const bad of ['', 'nul\u0000', 'bell\u0007']) t.notOk(string.test(bad), `string ${JSON.stringify(bad)}`)
  for (const ok of ['a', 'a b', 'a\tb', 'a\u00a0b']) t.ok(code.test(ok), `code ${JSON.stringify(ok)}`)
  for (const bad of [' a', 'a  b', 'a ', 'a\u0001b']) t.notOk(code.test(bad), `code ${JSON.stringify(bad)}`)
  t.ok(uri.test('http://x/a\u00a0b'), 'no-break space is not whitespace')
  t.notOk(uri.test('a\tb'))
  t.notOk(uri.test('a b'))
})

t.test('JSON pointers become FHIRPath locations', async (t) => {
  const data = { name: [{ given: ['a', 'b'] }], 'odd key': { x: 1 } }
  t.equal(pointerToFhirPath('Patient', '', data), 'Patient')
  t.equal(pointerToFhirPath('Patient', '/name/0/given/1', data), 'Patient.name[0].given[1]')
  t.equal(pointerToFhirPath('Patient', '/odd key/x', data), 'Patient.`odd key`.x')
  t.equal(pointerToFhirPath('Patient', '/a~1b', {}), 'Patient.`a/b`')
})

t.test('choice element names are resolved to the key in the resource', async (t) => {
  const obs = { component: [{}, { valueQuantity: { value: 1 } }], effectivePeriod: { start: '2020' } }
  t.equal(resolveChoiceExpression('Observation.component[1].value[x]', obs), 'Observation.component[1].valueQuantity')
  t.equal(resolveChoiceExpression('Observation.effective[x].start', obs), 'Observation.effectivePeriod.start')
  t.equal(resolveChoiceExpression('Observation.value[x]', obs), 'Observation.value[x]', 'left alone when absent')
  t.equal(resolveChoiceExpression('Observation.status', obs), 'Observation.status')
})

t.test('merging keeps the first checker’s error for a location', async (t) => {
  const issue = (code: OperationOutcomeIssue['code'], text: string, at: string, severity: 'error' | 'warning' = 'error'): OperationOutcomeIssue =>
    ({ severity, code, diagnostics: text, expression: [at] })
  const merged = mergeIssues([
    [issue('value', 'schema says bad date', 'Patient.birthDate')],
    [
      issue('structure', 'Invalid date format', 'Patient.birthDate'),
      issue('invariant', 'Constraint x-1 not met', 'Patient.birthDate'),
      issue('structure', 'Something else', 'Patient.gender'),
      issue('structure', 'Something else', 'Patient.gender'),
      issue('structure', 'a warning', 'Patient.birthDate', 'warning'),
    ],
  ])
  t.same(merged.map((i) => i.diagnostics), ['schema says bad date', 'Constraint x-1 not met', 'Something else', 'a warning'])
})

t.test('date ordering takes time zones and precision into account', async (t) => {
  t.notOk(isCertainlyAfter('2020-01-01T10:00:00+02:00', '2020-01-01T09:00:00Z'), '08:00Z is before 09:00Z')
  t.ok(isCertainlyAfter('2020-01-01T10:00:00Z', '2020-01-01T09:00:00+02:00'))
  t.notOk(isCertainlyAfter('2020-01-01T10:00:00Z', '2020-01-01T10:00:00.5Z'))
  t.ok(isCertainlyAfter('2020-01-01T10:00:00.5Z', '2020-01-01T10:00:00Z'))
  t.notOk(isCertainlyAfter('2020-01-01', '2020-01-01T10:00:00Z'), 'same day, unknown zone')
  t.notOk(isCertainlyAfter('2020', '2020-06'))
  t.ok(isCertainlyAfter('2021', '2020-06'))
  t.ok(isCertainlyAfter('2021-01-01', '2020-01-01'))
  t.notOk(isCertainlyAfter('garbage', '2020'), 'unreadable values are not judged')
  t.notOk(isCertainlyAfter(undefined, '2020'))
  t.same(instantRange('2020-02'), {
    earliest: Date.UTC(2020, 1, 1) - 14 * 3600_000,
    latest: Date.UTC(2020, 2, 1) - 1 + 14 * 3600_000,
  })
})

t.test('calendar dates', async (t) => {
  t.equal(calendarProblem('2020-02-29'), undefined)
  t.equal(calendarProblem('2021-02-29'), '2021-02 has only 28 days')
  t.equal(calendarProblem('2000-02-29T10:00:00Z'), undefined, '2000 is a leap year')
  t.equal(calendarProblem('2019-04-31T10:00:00Z'), '2019-04 has only 30 days')
  t.equal(calendarProblem('2019-12-31'), undefined)
  t.equal(calendarProblem('2019-13-45'), undefined, 'left to the format check')
  t.equal(calendarProblem('2019'), undefined)
})

t.test('narrative XHTML', async (t) => {
  const div = (inner: string) => `<div xmlns="http://www.w3.org/1999/xhtml">${inner}</div>`
  t.equal(narrativeProblem(div('Generated by <a href="https://github.com/synthetichealth/synthea">Synthea</a>.<br/><ul><li>x</li></ul>')), undefined)
  t.equal(narrativeProblem(`  ${div('<p class="a" style=\'x: ">"\'>q</p>')}\n`), undefined, 'quoted > and surrounding whitespace')
  t.equal(narrativeProblem(div('<![CDATA[text]]>')), undefined)
  t.equal(narrativeProblem(div('<img src="x.png" alt=""/>')), undefined, 'an image is content')
  t.match(narrativeProblem(div('<iframe src="x"></iframe>')), { constraint: 'txt-1' })
  t.match(narrativeProblem(div('<form></form>')), { constraint: 'txt-1' })
  t.match(narrativeProblem(div('<p ONMOUSEOVER="x()">a</p>')), { constraint: 'txt-1' })
  t.match(narrativeProblem(div('<a href=" JavaScript:x()">a</a>')), { constraint: 'txt-1' })
  t.match(narrativeProblem(div('<p xmlns="http://example.org">a</p>')), { constraint: 'txt-1' })
  t.match(narrativeProblem(div('<!DOCTYPE html>a')), { constraint: 'txt-1' })
  t.match(narrativeProblem(div('')), { constraint: 'txt-2' })
  t.match(narrativeProblem(div('<p></p>')), { constraint: 'txt-2' })
  t.match(narrativeProblem('<p xmlns="http://www.w3.org/1999/xhtml">a</p>'), { message: /single <div/ })
  t.match(narrativeProblem(`${div('a')}${div('b')}`), { message: /single <div/ })
  t.match(narrativeProblem(`${div('a')}tail`), { message: /single <div/ })
  t.match(narrativeProblem(div('<b><i>a</b></i>')), { message: /not well-formed/ })
  t.match(narrativeProblem(div('<p disabled>a</p>')), { message: /not well-formed/ })
  t.match(narrativeProblem('<div xmlns="http://www.w3.org/1999/xhtml">a'), { message: /not closed/ })
})

t.test('nesting depth limit', async (t) => {
  const nest = (levels: number): object => {
    let value: unknown = 'leaf'
    for (let i = 0; i < levels; i++) value = [value]
    return { resourceType: 'Patient', extension: value }
  }
  t.equal(MAX_DEPTH, 64)
  t.equal(findTooDeep(nest(MAX_DEPTH - 1), 'Patient'), undefined, `${MAX_DEPTH} levels are allowed`)
  t.equal(findTooDeep(nest(MAX_DEPTH), 'Patient'), 'Patient.extension' + '[0]'.repeat(MAX_DEPTH - 1))
  t.equal(findTooDeep({ resourceType: 'Patient', a: [{}, { b: {} }] }, 'Patient'), undefined)
})
