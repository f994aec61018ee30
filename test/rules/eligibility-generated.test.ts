// The eligibility library on generated and Synthea records, checked against a plain
// TypeScript recomputation of the criteria that these records exercise.
import t from 'tap'
import { readFileSync, readdirSync } from 'node:fs'
import type { Bundle, Condition, Encounter, Patient, Resource } from '@medplum/fhirtypes'
import { ELIGIBILITY_LIBRARY, eligibilityResult } from '../../src/rules/index.js'
import { createEvaluator } from '../../src/rules/evaluator.js'
import { eligibilityParameters } from '../../src/rules/parameters.js'
import { loadTerminologyDir } from '../../src/terminology/index.js'
import { Population } from '../../src/generate/index.js'
import { gpPractices } from '../../src/generate/practices.js'

const terminology = loadTerminologyDir()
const evaluator = createEvaluator(() => terminology)
const ASSESSED = '2025-12-01T12:00:00Z'
const eligibleCodes = terminology.conceptSet(terminology.valueSet('https://casehub.org/fhir/ValueSet/eligible-conditions')!)
const trafford = new Set(gpPractices().filter((p) => p.borough === 'Trafford').map((p) => `Organization/${p.id}`))

const active = (c: Condition) =>
  ['active', 'recurrence', 'relapse'].includes(c.clinicalStatus?.coding?.[0]?.code ?? '') &&
  !['refuted', 'entered-in-error'].includes(c.verificationStatus?.coding?.[0]?.code ?? '')

/** The criteria these records exercise, computed without CQL. */
function expected(resources: Resource[]) {
  const patient = resources[0] as Patient
  const at = new Date(ASSESSED)
  const from = new Date(at)
  from.setUTCFullYear(from.getUTCFullYear() - 1)
  const birth = new Date(`${patient.birthDate}T00:00:00Z`)
  let age = at.getUTCFullYear() - birth.getUTCFullYear()
  if (at.getUTCMonth() < birth.getUTCMonth() || (at.getUTCMonth() === birth.getUTCMonth() && at.getUTCDate() < birth.getUTCDate())) age--
  const recent = (resources.filter((r) => r.resourceType === 'Encounter') as Encounter[]).filter((e) => {
    const start = e.period?.start ? new Date(e.period.start) : undefined
    return start && start >= from && start <= at && !['planned', 'cancelled', 'entered-in-error'].includes(e.status)
  })
  const conditions = resources.filter((r) => r.resourceType === 'Condition') as Condition[]
  return {
    Adult: age >= 18,
    'Registered With Service Practice': trafford.has(patient.generalPractitioner?.[0]?.reference ?? ''),
    'Has Chronic Long Term Condition': conditions.some((c) => active(c) && c.code?.coding?.some((x) => eligibleCodes.has(x.system!, x.code!))),
    'At Risk Of Deterioration': recent.some((e) => e.class.code === 'EMER' || (e.class.code === 'IMP' && e.priority?.coding?.[0]?.code === 'EM')),
  }
}

t.test('generated patients: the CQL agrees with a plain recomputation', async (t) => {
  const population = new Population('eligibility-crosscheck')
  const orgs = population.organizations()
  let mismatches = 0
  for (let i = 0; i < 80; i++) {
    // The patient's record up to the assessment, without referrals (assessed on their own).
    const resources = population.next().filter((r) => !['ServiceRequest', 'Task'].includes(r.resourceType))
    const gp = (resources[0] as Patient).generalPractitioner?.[0]?.reference
    const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', entry: [...resources, ...orgs.filter((o) => `Organization/${o.id}` === gp)].map((resource) => ({ resource })) }
    const result = eligibilityResult(await evaluator.evaluate(ELIGIBILITY_LIBRARY, bundle, eligibilityParameters({ assessmentDate: ASSESSED })))
    for (const [name, want] of Object.entries(expected(resources))) {
      const got = result.criteria.find((c) => c.name === name)?.met
      if (got !== want) {
        mismatches++
        t.fail(`${resources[0].id} ${name}: CQL ${got}, expected ${want}`)
      }
    }
  }
  t.equal(mismatches, 0)
})

t.test('Synthea records (US, no GP practice): data required, or not eligible under 18', async (t) => {
  const dir = new URL('../../../shared/data/synthea/', import.meta.url).pathname
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort().slice(0, 4)
  t.ok(files.length > 0)
  for (const f of files) {
    const bundle = JSON.parse(readFileSync(dir + f, 'utf8')) as Bundle
    const resources = bundle.entry!.map((e) => e.resource!).filter((r) => r.resourceType !== 'ServiceRequest')
    const patient = resources.find((r) => r.resourceType === 'Patient') as Patient
    const ordered = [patient, ...resources.filter((r) => r !== patient)]
    const result = eligibilityResult(await evaluator.evaluate(ELIGIBILITY_LIBRARY, { resourceType: 'Bundle', type: 'collection', entry: ordered.map((resource) => ({ resource })) }, eligibilityParameters({ assessmentDate: ASSESSED })))
    const want = expected(ordered)
    const deceased = patient.deceasedDateTime !== undefined
    t.equal(result.criteria.find((c) => c.name === 'Registered With Service Practice')?.met, undefined, `${f}: no practice known`)
    t.equal(result.route, want.Adult ? 'data-required' : 'not-eligible', `${f}${deceased ? ' (deceased)' : ''}`)
    t.equal(result.criteria.find((c) => c.name === 'Has Chronic Long Term Condition')?.met, want['Has Chronic Long Term Condition'], `${f}: long-term condition`)
    t.equal(result.criteria.find((c) => c.name === 'At Risk Of Deterioration')?.met, want['At Risk Of Deterioration'], `${f}: at risk`)
  }
})
