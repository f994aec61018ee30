// Snapshot generation — profiling.html#snapshot, elementdefinition.html#id, structuredefinition.html
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { StructureDefinition } from '@medplum/fhirtypes'
import { pathOfId } from '../../src/conformance/element-list.js'
import {
  STRUCTURE_DEFINITIONS_DIR,
  formatDefinition,
  readDefinitionFiles,
  regenerateSnapshots,
} from '../../src/conformance/profile-files.js'
import { generateSnapshot } from '../../src/conformance/snapshot.js'
import { checkResource, initValidation } from '../../src/fhir/validation/index.js'

t.before(() => initValidation())

const files = readDefinitionFiles()
const byId = (id: string) => files.find((f) => f.definition.id === id)!.definition
const snapshotIds = (sd: StructureDefinition) => sd.snapshot!.element!.map((e) => e.id)

t.test('the committed snapshots are the generated ones (run `npm run profiles` after editing a differential)', async (t) => {
  t.equal(files.length, 14)
  for (const { file, definition } of regenerateSnapshots(files)) {
    t.equal(readFileSync(join(STRUCTURE_DEFINITIONS_DIR, file), 'utf8'), formatDefinition(definition), file)
  }
})

t.test('every snapshot is well formed', async (t) => {
  for (const { file, definition } of files) {
    const elements = definition.snapshot?.element ?? []
    const ids = new Set<string>()
    for (const element of elements) {
      t.notOk(ids.has(element.id!), `${file}: ${element.id} is unique`)
      ids.add(element.id!)
      t.equal(element.path, pathOfId(element.id!), `${file}: ${element.id} has path ${element.path}`)
      const max = element.max === '*' ? Infinity : Number(element.max)
      if (!((element.min ?? 0) <= max)) t.fail(`${file}: ${element.id} min ${element.min} > max ${element.max}`)
      if (element.id !== elements[0].id && !element.id!.startsWith(elements[0].id + '.')) t.fail(`${file}: ${element.id} outside the root`)
    }
    for (const diff of definition.differential?.element ?? []) t.ok(ids.has(diff.id!), `${file}: differential ${diff.id} is in the snapshot`)
    t.same(checkResource(structuredClone(definition)), [], `${file} passes the server's base validation`)
  }
})

t.test('slices follow the sliced element and its children, each with its own children', async (t) => {
  const ids = snapshotIds(byId('casehub-patient'))
  const at = (id: string) => ids.indexOf(id)
  t.ok(at('Patient.identifier') < at('Patient.identifier:nhsNumber'))
  t.equal(at('Patient.identifier:nhsNumber') + 1, at('Patient.identifier:nhsNumber.id'), 'slice children expanded from Identifier')
  t.equal(at('Patient.identifier:nhsNumber.extension') + 1, at('Patient.identifier:nhsNumber.extension:verificationStatus'))
  t.ok(at('Patient.identifier:nhsNumber.assigner') < at('Patient.active'))
  const status = byId('casehub-patient').snapshot!.element!.find((e) => e.id === 'Patient.identifier:nhsNumber.extension:verificationStatus')!
  t.same(status.type, [{ code: 'Extension', profile: ['https://casehub.org/fhir/StructureDefinition/casehub-nhs-number-verification-status'] }])
  t.equal(status.sliceName, 'verificationStatus')
  const value = byId('casehub-patient').snapshot!.element!.find((e) => e.id === 'Patient.identifier:nhsNumber.value')!
  t.same(value.base, { path: 'Identifier.value', min: 0, max: '1' }, 'base points at the data type element')
  t.same(value.constraint!.map((c) => c.key), ['ele-1', 'chp-1'], 'constraints added after the base ones')
  t.equal(value.constraint![1].source, 'https://casehub.org/fhir/StructureDefinition/casehub-patient')
})

t.test('profile on profile: the emergency plan keeps the care plan profile constraints', async (t) => {
  const plan = byId('casehub-careplan').snapshot!.element!
  const emergency = byId('casehub-emergency-plan').snapshot!.element!
  t.same(emergency.filter((e) => !e.id!.startsWith('CarePlan.category')), plan.filter((e) => !e.id!.startsWith('CarePlan.category')))
  const category = emergency.find((e) => e.id === 'CarePlan.category:emergencyPlan')!
  t.equal(category.min, 1)
  t.ok(category.patternCodeableConcept)
  t.equal(emergency.find((e) => e.id === 'CarePlan.activity.extension:activityCost')?.max, '1')
})

function profileWith(elements: object[], base = 'http://hl7.org/fhir/StructureDefinition/Goal'): StructureDefinition {
  return {
    resourceType: 'StructureDefinition', url: 'https://example.org/p', name: 'P', status: 'draft', kind: 'resource', abstract: false,
    type: 'Goal', baseDefinition: base, derivation: 'constraint', differential: { element: elements as never },
  }
}

t.test('differentials that loosen or do not fit the base are rejected', async (t) => {
  const bad: [string, object[], RegExp][] = [
    ['min below the base', [{ id: 'Goal.subject', path: 'Goal.subject', min: 0 }], /min 0 is below the base's 1/],
    ['max above the base', [{ id: 'Goal.subject', path: 'Goal.subject', max: '2' }], /max 2 is above the base's 1/],
    ['min above max', [{ id: 'Goal.note', path: 'Goal.note', min: 2, max: '1' }], /min 2 is above max 1/],
    ['a type the base does not allow', [{ id: 'Goal.target.due[x]', path: 'Goal.target.due[x]', type: [{ code: 'Period' }] }], /type Period is not allowed/],
    ['an unknown element', [{ id: 'Goal.colour', path: 'Goal.colour', min: 1 }], /no such element/],
    ['a slice without slicing', [{ id: 'Goal.note:first', path: 'Goal.note', sliceName: 'first' }], /has no slicing/],
    ['path and id disagree', [{ id: 'Goal.note', path: 'Goal.notes' }], /path should be Goal.note/],
  ]
  for (const [name, elements, message] of bad) t.throws(() => generateSnapshot(profileWith(elements)), message, name)
  t.throws(() => generateSnapshot(profileWith([], 'https://example.org/unknown')), /No snapshot for https:\/\/example.org\/unknown/)
})

t.test('extension slices get the default slicing by url; data types expand on demand', async (t) => {
  const elements = generateSnapshot(profileWith([
    { id: 'Goal.target.extension:x', path: 'Goal.target.extension', sliceName: 'x', type: [{ code: 'Extension', profile: ['https://example.org/x'] }] },
    { id: 'Goal.target.detail[x]', path: 'Goal.target.detail[x]', type: [{ code: 'Quantity' }] },
    { id: 'Goal.outcomeReference', path: 'Goal.outcomeReference', type: [{ code: 'Reference', targetProfile: ['http://hl7.org/fhir/StructureDefinition/Observation'] }] },
    { id: 'Goal.statusReason', path: 'Goal.statusReason', fixedString: 'because' },
  ]))
  const ids = elements.map((e) => e.id)
  t.ok(ids.includes('Goal.target.extension:x'))
  t.same(elements.find((e) => e.id === 'Goal.target.extension')?.slicing?.discriminator, [{ type: 'value', path: 'url' }])
  t.equal(elements.find((e) => e.id === 'Goal.statusReason')?.fixedString, 'because')
})
