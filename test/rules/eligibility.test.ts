// The CaseHubEligibility library over handcrafted patients (issue 5's criteria, exclusions and
// boundaries), evaluated as a pure function: no server, no database.
import t from 'tap'
import type { Bundle } from '@medplum/fhirtypes'
import { ELIGIBILITY_LIBRARY, eligibilityResult } from '../../src/rules/index.js'
import { createEvaluator } from '../../src/rules/evaluator.js'
import { eligibilityParameters } from '../../src/rules/parameters.js'
import { loadTerminologyDir } from '../../src/terminology/index.js'
import { ASSESSED, SCENARIOS, type Scenario } from './eligibility-scenarios.js'

const terminology = loadTerminologyDir()
const evaluator = createEvaluator(() => terminology)

export async function evaluateScenario(s: Scenario) {
  const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', entry: s.resources.map((resource) => ({ resource })) }
  const params = eligibilityParameters({ assessmentDate: s.referral?.authoredOn ?? ASSESSED, referralId: s.referral?.id })
  return eligibilityResult(await evaluator.evaluate(ELIGIBILITY_LIBRARY, bundle, params))
}

t.test('at least 30 scenarios, covering every criterion', async (t) => {
  t.ok(SCENARIOS.length >= 30)
  const first = await evaluateScenario(SCENARIOS[0])
  for (const c of first.criteria) t.ok(SCENARIOS.some((s) => c.name in s.met && s !== SCENARIOS[0]), `${c.name} is tested on its own`)
})

for (const s of SCENARIOS) {
  t.test(`${s.id} ${s.name} → ${s.route}`, async (t) => {
    const result = await evaluateScenario(s)
    t.equal(result.route, s.route, 'route')
    t.equal(result.eligible, s.route === 'case-management', 'eligible')
    t.equal(result.criteria.length, 10, 'one entry per criterion')
    for (const [name, expected] of Object.entries(s.met)) {
      const c = result.criteria.find((x) => x.name === name)
      t.ok(c, `${name} is reported`)
      t.equal(c?.met, expected ?? undefined, `${name} ${expected === null ? 'unknown' : expected ? 'met' : 'not met'}`)
    }
  })
}

t.test('criteria carry their kind', async (t) => {
  const { criteria } = await evaluateScenario(SCENARIOS[0])
  t.same(criteria.filter((c) => c.kind === 'inclusion').map((c) => c.name), [
    'Adult', 'Registered With Service Practice', 'Has Chronic Long Term Condition', 'At Risk Of Deterioration', 'Not Under Specialist Nurse',
  ])
  t.equal(criteria.filter((c) => c.kind === 'exclusion').length, 5)
})

t.test('the practice list can be passed instead of the default', async (t) => {
  const s = SCENARIOS[0]
  const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', entry: s.resources.map((resource) => ({ resource })) }
  const params = eligibilityParameters({ assessmentDate: ASSESSED, referralId: s.referral!.id, practiceOdsCodes: ['Y99999'] })
  const result = eligibilityResult(await evaluator.evaluate(ELIGIBILITY_LIBRARY, bundle, params))
  t.equal(result.route, 'not-eligible')
  t.equal(result.criteria.find((c) => c.name === 'Registered With Service Practice')?.met, false)
})

t.test('evaluations in parallel do not see each other\'s patients', async (t) => {
  const picks = SCENARIOS.slice(0, 12)
  const together = await Promise.all(picks.map(evaluateScenario))
  t.same(together.map((r) => r.route), picks.map((s) => s.route))
})
