// Resource validation — R4 json.html, datatypes.html, resource.html#id, conformance-rules.html#constraints
import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { checkResource, initValidation, resourceTypes, warmSchemaValidators } from '../../../src/fhir/validation/index.js'

const SYNTHEA_DIR = '/work/shared/data/synthea/'
const syntheaFiles = readdirSync(SYNTHEA_DIR).filter((f) => f.endsWith('.json')).sort()
const firstBundle = JSON.parse(readFileSync(SYNTHEA_DIR + syntheaFiles[0], 'utf8'))
const syntheaPatient = firstBundle.entry.find((e: any) => e.resource.resourceType === 'Patient').resource
const syntheaObservation = firstBundle.entry.find((e: any) => e.resource.resourceType === 'Observation').resource

const errors = (issues: OperationOutcomeIssue[]) => issues.filter((i) => i.severity === 'error')
const show = (issues: OperationOutcomeIssue[]) =>
  issues.map((i) => `${i.severity} ${i.code} ${i.expression?.join(',')}: ${i.diagnostics}`).join('\n')

/** A chain of `depth` nested extensions. */
function nestedExtensions(depth: number): object {
  let extension: Record<string, unknown> = { url: 'http://example.org/leaf', valueString: 'x' }
  for (let i = 0; i < depth; i++) extension = { url: `http://example.org/level-${i}`, extension: [extension] }
  return { resourceType: 'Patient', extension: [extension] }
}

const obs = (extra: object = {}) => ({ resourceType: 'Observation', status: 'final', code: { text: 'Weight' }, ...extra })

t.before(() => initValidation())

t.test('valid resources have no errors', async (t) => {
  const good: [string, unknown, string?][] = [
    ['minimal Patient', { resourceType: 'Patient' }],
    ['full Synthea Patient', syntheaPatient],
    ['Synthea Observation', syntheaObservation, 'Observation'],
    ['primitive array with extensions on some items (null placeholders)', {
      resourceType: 'Patient',
      name: [{ given: ['Ada', null], _given: [null, { extension: [{ url: 'http://example.org/e', valueString: 'x' }] }] }],
    }],
    ['required primitive given only as an extension', {
      resourceType: 'Observation',
      _status: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] },
      code: { text: 'x' },
    }],
    ['referenced contained resource', {
      resourceType: 'Patient',
      contained: [{ resourceType: 'Practitioner', id: 'gp', name: [{ family: 'Who' }] }],
      generalPractitioner: [{ reference: '#gp' }],
    }],
    ['references by display, identifier, absolute URL and urn:uuid', obs({
      subject: { display: 'Someone' },
      performer: [{ identifier: { value: '1' } }, { reference: 'http://example.org/fhir/Practitioner/1' }],
      encounter: { reference: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0' },
    })],
    ['Period across time zones and precisions', {
      resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' },
      period: { start: '2020-01-01T10:00:00+02:00', end: '2020-01-01T09:00:00Z' },
      participant: [{ period: { start: '2020-01-01T10:00:00Z', end: '2020-01-01T10:00:00.5Z' } }, { period: { start: '2020', end: '2020-01-01T10:00:00Z' } }],
    }],
    ['narrative, meta and extensions', {
      resourceType: 'Patient',
      meta: { versionId: '1', lastUpdated: '2020-01-01T00:00:00.000Z', profile: ['http://hl7.org/fhir/StructureDefinition/Patient'] },
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Ada <b>Lovelace</b></p></div>' },
      extension: [{ url: 'http://example.org/a', extension: [{ url: 'b', valueString: 'x' }, { url: 'c', valueInteger: 2 }] }],
      identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9000000009' }],
      multipleBirthInteger: 2,
    }],
    ['nested QuestionnaireResponse items', {
      resourceType: 'QuestionnaireResponse', status: 'completed',
      item: [{ linkId: '1', item: [{ linkId: '1.1', answer: [{ valueString: 'x', item: [{ linkId: '1.1.1', answer: [{ valueBoolean: true }] }] }] }] }],
    }],
    ['searchset Bundle', {
      resourceType: 'Bundle', type: 'searchset', total: 1,
      entry: [{ fullUrl: 'http://example.org/fhir/Patient/1', resource: { resourceType: 'Patient', id: '1' }, search: { mode: 'match' } }],
    }],
    ['Parameters with a resource and parts', {
      resourceType: 'Parameters',
      parameter: [{ name: 'a', valueString: 'x' }, { name: 'b', resource: { resourceType: 'Patient' } }, { name: 'c', part: [{ name: 'd', valueInteger: 1 }] }],
    }],
    ['base64 with line breaks, as R4 allows', { resourceType: 'Binary', contentType: 'text/plain', data: 'aGVs\nbG8=' }],
    ['no-break and ideographic spaces in strings (not whitespace in R4 regexes)', { resourceType: 'Patient', name: [{ text: 'M.\u00a0Dupont', family: '山田\u3000太郎' }] }],
    ['whitespace-only string (only a warning)', { resourceType: 'Patient', name: [{ text: ' ' }] }],
    ['largest 32-bit integer', { resourceType: 'Patient', multipleBirthInteger: 2147483647 }],
    ['29 February in a leap year', { resourceType: 'Patient', birthDate: '2020-02-29' }],
    ['narrative with tables, images, links and styles', {
      resourceType: 'Patient',
      text: {
        status: 'generated',
        div: '<div xmlns="http://www.w3.org/1999/xhtml"><!-- note --><table border="1"><tbody><tr><td style="color:red" colspan="2">A &amp; B</td></tr></tbody></table>' +
          '<img src="data:image/png;base64,AAAA" alt="x"/><a href="https://example.org" title="t">link</a><br/></div>',
      },
    }],
    // ras-2 "probability is decimal implies (probability as decimal) <= 100" holds without a probability
    ['RiskAssessment prediction with a qualitative risk and no probability (ras-2)', {
      resourceType: 'RiskAssessment', status: 'final', subject: { reference: 'Patient/1' }, prediction: [{ qualitativeRisk: { text: 'moderate' } }],
    }],
    ['whole Synthea transaction Bundle', firstBundle],
    ['matching expectedType', { resourceType: 'Patient' }, 'Patient'],
  ]
  for (const [name, resource, expectedType] of good) {
    const issues = checkResource(resource, { expectedType })
    t.same(errors(issues), [], name, { issues: show(issues) })
  }
})

t.test('every resource in the Synthea bundles is valid', async (t) => {
  let count = 0
  for (const file of syntheaFiles) {
    const bundle = JSON.parse(readFileSync(SYNTHEA_DIR + file, 'utf8'))
    const failures: string[] = []
    for (const [index, entry] of bundle.entry.entries()) {
      count++
      const before = JSON.stringify(entry.resource)
      const found = errors(checkResource(entry.resource, { expectedType: entry.resource.resourceType }))
      if (found.length > 0) failures.push(`entry[${index}] ${entry.resource.resourceType}: ${show(found)}`)
      if (JSON.stringify(entry.resource) !== before) failures.push(`entry[${index}] was modified`)
    }
    t.same(failures, [], file)
  }
  t.ok(count > 10000, `checked ${count} resources`)
})

interface BadCase {
  name: string
  resource: unknown
  expectedType?: string
  expression: string
  code?: string
  message?: RegExp
}

const longId = 'a'.repeat(65)
const bad: BadCase[] = [
  { name: 'unknown element', resource: { resourceType: 'Patient', foo: 1 }, expression: 'Patient.foo', code: 'structure', message: /^Unknown element 'foo'$/ },
  { name: 'unknown nested element', resource: { resourceType: 'Patient', name: [{ family: 'x', nickname: 'y' }] }, expression: 'Patient.name[0].nickname', message: /Unknown element 'nickname'/ },
  { name: 'non-R4 Meta element', resource: { resourceType: 'Patient', meta: { project: 'p' } }, expression: 'Patient.meta.project', message: /Unknown element 'project'/ },
  { name: 'birthDate: 123', resource: { resourceType: 'Patient', birthDate: 123 }, expression: 'Patient.birthDate', code: 'structure', message: /^Expected a string for birthDate/ },
  { name: 'active: "yes"', resource: { resourceType: 'Patient', active: 'yes' }, expression: 'Patient.active', message: /^Expected a boolean for active/ },
  { name: 'gender: "x"', resource: { resourceType: 'Patient', gender: 'x' }, expression: 'Patient.gender', code: 'value', message: /Invalid value 'x' for gender: must be one of male, female, other, unknown/ },
  { name: 'nested wrong primitive type', resource: { resourceType: 'Patient', name: [{ given: ['a', 2] }] }, expression: 'Patient.name[0].given[1]', message: /Expected a string for given\[1\]/ },
  { name: 'bad date: month 13', resource: { resourceType: 'Patient', birthDate: '1990-13-01' }, expression: 'Patient.birthDate', code: 'value', message: /Invalid date value '1990-13-01' for birthDate/ },
  { name: 'bad date: US format', resource: { resourceType: 'Patient', birthDate: '01/02/1990' }, expression: 'Patient.birthDate', message: /Invalid date/ },
  { name: 'a day that does not exist (30 February)', resource: { resourceType: 'Patient', birthDate: '1950-02-30' }, expression: 'Patient.birthDate', code: 'value', message: /Invalid date value '1950-02-30' for birthDate: 1950-02 has only 28 days/ },
  { name: '29 February outside a leap year', resource: { resourceType: 'Patient', birthDate: '1900-02-29' }, expression: 'Patient.birthDate', message: /has only 28 days/ },
  { name: 'a dateTime on 31 April', resource: { resourceType: 'Patient', deceasedDateTime: '2019-04-31T10:00:00Z' }, expression: 'Patient.deceasedDateTime', message: /Invalid dateTime value .* 2019-04 has only 30 days/ },
  { name: 'a NUL character in a string', resource: { resourceType: 'Patient', name: [{ family: 'Nul\u0000Byte' }] }, expression: 'Patient.name[0].family', message: /control characters/ },
  { name: 'narrative with a script element', resource: { resourceType: 'Patient', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></div>' } }, expression: 'Patient.text.div', code: 'invariant', message: /^Constraint txt-1 not met: element <script> is not allowed/ },
  { name: 'narrative with an event attribute', resource: { resourceType: 'Patient', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="steal()">Ada</p></div>' } }, expression: 'Patient.text.div', message: /txt-1.*attribute onclick/ },
  { name: 'narrative with a javascript: link', resource: { resourceType: 'Patient', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:steal()">Ada</a></div>' } }, expression: 'Patient.text.div', message: /txt-1/ },
  { name: 'narrative that is not XHTML', resource: { resourceType: 'Patient', text: { status: 'generated', div: 'not xhtml' } }, expression: 'Patient.text.div', code: 'value', message: /Invalid narrative in div/ },
  { name: 'narrative div without the XHTML namespace', resource: { resourceType: 'Patient', text: { status: 'generated', div: '<div>Ada</div>' } }, expression: 'Patient.text.div', message: /xmlns/ },
  { name: 'narrative that is not well-formed', resource: { resourceType: 'Patient', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Ada</div>' } }, expression: 'Patient.text.div', message: /not well-formed/ },
  { name: 'empty narrative', resource: { resourceType: 'Patient', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"> </div>' } }, expression: 'Patient.text.div', message: /txt-2/ },
  { name: 'contained resource with a script in its narrative', resource: { resourceType: 'Patient', contained: [{ resourceType: 'Practitioner', id: 'p', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><script>x</script></div>' } }], generalPractitioner: [{ reference: '#p' }] }, expression: 'Patient.contained[0].text.div', message: /txt-1/ },
  { name: 'dateTime with time but no time zone', resource: obs({ effectiveDateTime: '2020-01-01T10:00:00' }), expression: 'Observation.effectiveDateTime', message: /Invalid dateTime/ },
  { name: 'bad instant', resource: obs({ issued: '2020-01-01' }), expression: 'Observation.issued', message: /Invalid instant/ },
  { name: 'Observation without status', resource: { resourceType: 'Observation', code: { text: 'x' } }, expression: 'Observation.status', message: /Missing required element 'status'/ },
  { name: 'Observation without code', resource: { resourceType: 'Observation', status: 'final' }, expression: 'Observation.code', code: 'required', message: /Missing required element 'code'/ },
  { name: 'id with invalid characters', resource: { resourceType: 'Patient', id: 'a b$' }, expression: 'Patient.id', code: 'value', message: /^Invalid id: must match \[A-Za-z0-9\\-\\.\]\{1,64\}/ },
  { name: 'id too long', resource: { resourceType: 'Patient', id: longId }, expression: 'Patient.id', message: /^Invalid id: .*65 characters/ },
  { name: 'id not a string', resource: { resourceType: 'Patient', id: 5 }, expression: 'Patient.id', message: /Expected a string for id/ },
  { name: 'array where a single code is expected', resource: { resourceType: 'Patient', gender: ['male'] }, expression: 'Patient.gender', message: /Expected a single value for gender, not an array/ },
  { name: 'array where a single object is expected', resource: { resourceType: 'Patient', maritalStatus: [{ text: 'M' }] }, expression: 'Patient.maritalStatus', message: /Expected a single value for maritalStatus/ },
  { name: 'single value where an array is expected', resource: { resourceType: 'Patient', name: { family: 'x' } }, expression: 'Patient.name', message: /Expected an array for name/ },
  { name: 'string where an object is expected', resource: { resourceType: 'Patient', name: ['John'] }, expression: 'Patient.name[0]', message: /Expected an object for name\[0\]/ },
  { name: 'RiskAssessment probability over 100 (ras-2)', resource: { resourceType: 'RiskAssessment', status: 'final', subject: { reference: 'Patient/1' }, prediction: [{ probabilityDecimal: 120 }] }, expression: 'RiskAssessment.prediction[0]', message: /ras-2/ },
  { name: 'empty string', resource: { resourceType: 'Patient', name: [{ family: '' }] }, expression: 'Patient.name[0].family', message: /Invalid string value '' for family: must not be empty/ },
  { name: 'uri with a space', resource: { resourceType: 'Patient', identifier: [{ system: 'http://x y', value: '1' }] }, expression: 'Patient.identifier[0].system', message: /Invalid uri value/ },
  { name: 'null value', resource: { resourceType: 'Patient', birthDate: null }, expression: 'Patient.birthDate' },
  { name: 'null array item without extension', resource: { resourceType: 'Patient', name: [{ given: ['a', null] }] }, expression: 'Patient.name[0].given[1]', message: /null/ },
  { name: 'empty object', resource: { resourceType: 'Patient', maritalStatus: {} }, expression: 'Patient.maritalStatus', message: /Empty object for maritalStatus/ },
  { name: 'empty array', resource: { resourceType: 'Patient', name: [] }, expression: 'Patient.name', message: /Empty array for name/ },
  { name: 'empty array item', resource: { resourceType: 'Patient', name: [{}] }, expression: 'Patient.name[0]' },
  { name: 'integer with a fraction', resource: { resourceType: 'Patient', multipleBirthInteger: 1.5 }, expression: 'Patient.multipleBirthInteger', message: /Expected an integer for multipleBirthInteger, got a number/ },
  { name: 'integer beyond 32 bits', resource: { resourceType: 'Patient', multipleBirthInteger: 2147483648 }, expression: 'Patient.multipleBirthInteger', message: /must be at most 2147483647/ },
  { name: 'negative unsignedInt', resource: { resourceType: 'Patient', photo: [{ contentType: 'image/png', size: -1 }] }, expression: 'Patient.photo[0].size', message: /Invalid unsignedInt value -1 for size: must be at least 0/ },
  { name: 'positiveInt 0', resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueSampledData: { origin: { value: 0 }, period: 1, dimensions: 0, data: 'E' } }, expression: 'Observation.valueSampledData.dimensions', message: /must be at least 1/ },
  { name: 'base64Binary that is not base64', resource: { resourceType: 'Binary', contentType: 'text/plain', data: 'not base64!' }, expression: 'Binary.data', message: /Invalid base64Binary value/ },
  { name: 'code with a double space', resource: { resourceType: 'Patient', maritalStatus: { coding: [{ code: 'a  b' }] } }, expression: 'Patient.maritalStatus.coding[0].code', message: /Invalid code/ },
  { name: 'two types of a choice element', resource: obs({ valueString: 'x', valueBoolean: true }), expression: 'Observation.valueBoolean', message: /Only one type of value\[x\]/ },
  { name: 'resource invariant (obs-6)', resource: obs({ valueString: 'x', dataAbsentReason: { text: 'x' } }), expression: 'Observation', code: 'invariant', message: /obs-6/ },
  { name: 'element invariant (pat-1)', resource: { resourceType: 'Patient', contact: [{ gender: 'male' }] }, expression: 'Patient.contact[0]', code: 'invariant', message: /pat-1/ },
  { name: 'data type invariant (per-1)', resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, period: { start: '2021-01-01', end: '2020-01-01' } }, expression: 'Encounter.period', code: 'invariant', message: /per-1/ },
  { name: 'data type invariant (qty-3)', resource: obs({ valueQuantity: { value: 1, code: 'kg' } }), expression: 'Observation.valueQuantity', code: 'invariant', message: /qty-3/ },
  { name: 'local reference to a missing contained resource (ref-1)', resource: { resourceType: 'Patient', generalPractitioner: [{ reference: '#nope' }] }, expression: 'Patient.generalPractitioner[0]', message: /ref-1/ },
  { name: 'Organization without name or identifier (org-1)', resource: { resourceType: 'Organization', active: true }, expression: 'Organization', message: /org-1/ },
  { name: 'body type differs from the URL type', resource: { resourceType: 'Observation' }, expectedType: 'Patient', expression: 'resourceType', message: /^Resource type 'Observation' does not match the URL type 'Patient'$/ },
  { name: 'unknown resourceType', resource: { resourceType: 'Foo' }, expression: 'resourceType', code: 'value', message: /^Unknown resource type 'Foo'$/ },
  { name: 'non-R4 resourceType (Medplum Project)', resource: { resourceType: 'Project' }, expression: 'resourceType', message: /Unknown resource type 'Project'/ },
  { name: 'abstract resourceType', resource: { resourceType: 'DomainResource' }, expression: 'resourceType', message: /Unknown resource type/ },
  { name: 'missing resourceType', resource: { name: [] }, expression: 'resourceType', code: 'required', message: /Missing required element 'resourceType'/ },
  { name: 'non-string resourceType', resource: { resourceType: 42 }, expression: 'resourceType', message: /Expected a string for resourceType/ },
  { name: 'null body', resource: null, expectedType: 'Patient', expression: 'Patient', message: /Expected a JSON object.*null/ },
  { name: 'array body', resource: [{ resourceType: 'Patient' }], expression: 'Resource', message: /Expected a JSON object.*an array/ },
  { name: 'string body', resource: 'Patient', expression: 'Resource', message: /Expected a JSON object.*a string/ },
  { name: 'nested 100 levels deep', resource: nestedExtensions(100), expression: 'Patient' + '.extension[0]'.repeat(32), code: 'structure', message: /nested too deeply: more than 64 levels/ },
  { name: 'contained resource with a bad code', resource: { resourceType: 'Patient', contained: [{ resourceType: 'Observation', id: 'o', status: 'bogus', code: { text: 'x' } }], extension: [{ url: 'http://example.org/o', valueReference: { reference: '#o' } }] }, expression: 'Patient.contained[0].status', message: /Invalid value 'bogus' for status/ },
  { name: 'contained resource with an unknown element', resource: { resourceType: 'Patient', contained: [{ resourceType: 'Practitioner', id: 'p', foo: 1 }], generalPractitioner: [{ reference: '#p' }] }, expression: 'Patient.contained[0].foo', message: /Unknown element 'foo'/ },
  { name: 'contained resource missing a required element', resource: { resourceType: 'Patient', contained: [{ resourceType: 'Observation', id: 'o', status: 'final' }], extension: [{ url: 'http://example.org/o', valueReference: { reference: '#o' } }] }, expression: 'Patient.contained[0].code', message: /Missing required element 'code'/ },
  { name: 'contained resource breaking an invariant', resource: { resourceType: 'Patient', contained: [{ resourceType: 'Observation', id: 'o', status: 'final', code: { text: 'x' }, valueString: 'x', dataAbsentReason: { text: 'y' } }], extension: [{ url: 'http://example.org/o', valueReference: { reference: '#o' } }] }, expression: 'Patient.contained[0]', message: /obs-6/ },
  { name: 'contained resource of an unknown type', resource: { resourceType: 'Patient', contained: [{ resourceType: 'Foo', id: 'f' }] }, expression: 'Patient.contained[0].resourceType', message: /Unknown resource type 'Foo'/ },
  { name: 'contained resource with a bad id', resource: { resourceType: 'Patient', contained: [{ resourceType: 'Practitioner', id: 'a_b' }], generalPractitioner: [{ reference: '#a_b' }] }, expression: 'Patient.contained[0].id', message: /Invalid id/ },
  { name: 'contained resource nobody refers to (dom-3)', resource: { resourceType: 'Patient', contained: [{ resourceType: 'Practitioner', id: 'p' }] }, expression: 'Patient.contained[0]', message: /dom-3/ },
  { name: 'invalid Bundle entry resource', resource: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Patient', birthDate: 'yesterday' } }] }, expression: 'Bundle.entry[0].resource.birthDate', message: /Invalid date/ },
]

t.test('invalid resources report an error at the right location', async (t) => {
  for (const c of bad) {
    const before = JSON.stringify(c.resource)
    let issues: OperationOutcomeIssue[] = []
    t.doesNotThrow(() => {
      issues = checkResource(c.resource, { expectedType: c.expectedType })
    }, `${c.name}: does not throw`)
    const match = issues.find((i) => i.severity === 'error' && i.expression?.[0] === c.expression)
    t.ok(match, `${c.name}: error at ${c.expression}`, { issues: show(issues) })
    if (match && c.code) t.equal(match.code, c.code, `${c.name}: code`)
    if (match && c.message) t.match(match.diagnostics, c.message, `${c.name}: message`)
    for (const issue of issues) {
      t.ok(issue.diagnostics && issue.expression?.length === 1, `${c.name}: issue has diagnostics and one expression`)
    }
    t.equal(JSON.stringify(c.resource), before, `${c.name}: input not modified`)
  }
})

t.test('a mismatched resource type is the only issue reported', async (t) => {
  const issues = checkResource({ resourceType: 'Observation', foo: 1 }, { expectedType: 'Patient' })
  t.equal(issues.length, 1, show(issues))
})

t.test('problems found by both checkers are reported once', async (t) => {
  for (const resource of [
    { resourceType: 'Patient', birthDate: '1990-13-01' },
    { resourceType: 'Patient', birthDate: 123 },
    { resourceType: 'Patient', foo: 1 },
    { resourceType: 'Patient', gender: ['male'] },
    { resourceType: 'Patient', id: 'a b' },
  ]) {
    const issues = checkResource(resource)
    t.equal(issues.length, 1, JSON.stringify(resource), { issues: show(issues) })
  }
})

t.test('frozen input and keys that exist on Object.prototype', async (t) => {
  const deepFreeze = (value: any): any => {
    if (value && typeof value === 'object') {
      Object.freeze(value)
      for (const child of Object.values(value)) deepFreeze(child)
    }
    return value
  }
  const frozen = deepFreeze(structuredClone(syntheaPatient))
  t.same(errors(checkResource(frozen)), [], 'frozen Synthea Patient')
  const frozenBad = deepFreeze({ resourceType: 'Patient', name: [{ given: ['a', 2] }] })
  t.equal(errors(checkResource(frozenBad))[0]?.expression?.[0], 'Patient.name[0].given[1]')
  const proto = JSON.parse('{"resourceType":"Patient","__proto__":{"x":1},"constructor":1}')
  t.same(checkResource(proto).map((i) => i.expression?.[0]).sort(), ['Patient.__proto__', 'Patient.constructor'])
  t.match(checkResource({ resourceType: 'constructor' })[0]?.diagnostics, /Unknown resource type/)
})

t.test('initValidation can be called again', async (t) => {
  t.doesNotThrow(() => initValidation())
})

t.test('very deep nesting is rejected without overflowing the stack', async (t) => {
  let deep: unknown = 'x'
  for (let i = 0; i < 100_000; i++) deep = [deep]
  const issues = checkResource({ resourceType: 'Patient', extension: deep })
  t.equal(issues.length, 1)
  t.match(issues[0].diagnostics, /nested too deeply/)
  t.same(errors(checkResource(nestedExtensions(20))), [], '20 nested extensions are fine')
})

t.test('every R4 resource type has a working schema validator, compiled ahead of need by warmSchemaValidators', async (t) => {
  await warmSchemaValidators()
  const types = resourceTypes()
  t.ok(types.length > 140, `${types.length} resource types`)
  const silent = types.filter((type) => !errors(checkResource({ resourceType: type, notAnElement: true })).some((i) => /notAnElement/.test(i.diagnostics ?? '')))
  t.same(silent, [], 'each refuses an element it does not define')
})
