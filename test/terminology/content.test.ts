// The resources in terminology/: consistent metadata, valid R4, expandable from local content
// alone, and every SNOMED CT code sourced in SOURCES.md.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { CodeSystem, ValueSet } from '@medplum/fhirtypes'
import { checkResource } from '../../src/fhir/validation/index.js'
import { codeCheckerFor, expandValueSet, loadTerminologyDir, subsumption, TERMINOLOGY_DIR } from '../../src/terminology/index.js'

const BASE = 'https://casehub.org/fhir'
const SCT = 'http://snomed.info/sct'
const files = readdirSync(TERMINOLOGY_DIR).filter((f) => f.endsWith('.json')).sort()
const resources = files.map((f) => [f, JSON.parse(readFileSync(join(TERMINOLOGY_DIR, f), 'utf8'))] as [string, CodeSystem | ValueSet])
const index = loadTerminologyDir()
const sources = new Map(
  [...readFileSync(join(TERMINOLOGY_DIR, 'SOURCES.md'), 'utf8').matchAll(/^\| (\d+) \| ([^|]+) \| ([^|]*) \|/gm)].map((m) => [m[1], { term: m[2].trim(), source: m[3].trim() }]),
)

t.test('metadata: ids, urls and versions agree with the file names', async (t) => {
  for (const [file, r] of resources) {
    t.equal(file, `${r.resourceType}-${r.id}.json`, file)
    t.equal(r.url, `${BASE}/${r.resourceType}/${r.id}`, `${file} url`)
    t.match(r, { version: '0.1.0', status: 'active', experimental: false, publisher: 'CaseHub', name: /^[A-Z][A-Za-z0-9]*$/, title: /./, description: /./ }, file)
  }
})

t.test('every resource passes base R4 validation (checkResource)', async (t) => {
  for (const [file, r] of resources) {
    const errors = checkResource(r).filter((i) => i.severity === 'error')
    t.same(errors, [], file)
  }
})

t.test('the canonical URLs other work relies on exist', async (t) => {
  const cs = ['risk-tier', 'referral-rejection-reason', 'referral-reason', 'service-type', 'mdt-role']
  const vs = ['risk-tiers', 'referral-rejection-reasons', 'referral-reasons', 'eligible-conditions', 'pregnancy', 'end-of-life', 'nursing-home',
    'mental-disorder', 'alcohol-misuse', 'drug-misuse', 'ae-attendance', 'emergency-admission', 'onward-service-types', 'onward-referral-codes',
    'specialist-nursing-services', 'mdt-roles', 'nhs-number-verification-status']
  for (const id of cs) t.ok(index.codeSystem(`${BASE}/CodeSystem/${id}`), `CodeSystem/${id}`)
  for (const id of vs) t.ok(index.valueSet(`${BASE}/ValueSet/${id}`), `ValueSet/${id}`)
})

t.test('every ValueSet expands from local content alone', async (t) => {
  for (const vs of index.valueSets()) {
    const expanded = expandValueSet(index, vs)
    const total = expanded.expansion?.total ?? 0
    t.ok(total > 0, `${vs.id}: ${total} concepts`)
    t.same(checkResource(expanded).filter((i) => i.severity === 'error'), [], `${vs.id}: the expansion is a valid ValueSet`)
  }
})

t.test('every SNOMED CT code is in SOURCES.md with a source and the same term', async (t) => {
  for (const vs of index.valueSets()) {
    for (const part of [...(vs.compose?.include ?? []), ...(vs.compose?.exclude ?? [])]) {
      if (part.system !== SCT) continue
      for (const c of part.concept ?? []) {
        const row = sources.get(c.code!)
        t.ok(row?.source, `${vs.id}: ${c.code} has a source`)
        t.equal(c.display, row?.term, `${vs.id}: ${c.code} display is the sourced term`)
      }
    }
  }
  for (const code of ['26416006', '191816009', '2704003', '4525004']) t.notOk(index.valueSets().some((vs) => JSON.stringify(vs).includes(`"${code}"`)), `NOT CONFIRMED ${code} is not used`)
})

t.test('codes that carry meaning', async (t) => {
  const check = codeCheckerFor(index)
  const vs = (id: string) => `${BASE}/ValueSet/${id}`
  t.equal(check(vs('nursing-home'), SCT, '160734000'), true, 'lives in a nursing home')
  t.equal(check(vs('nursing-home'), SCT, '394923006'), false, 'a residential home is not a nursing home')
  t.equal(check(vs('nursing-home'), SCT, '248171000000108'), false, 'nor is a care home in general')
  t.equal(check(vs('eligible-conditions'), SCT, '12295008'), true, 'bronchiectasis through an import')
  t.equal(check(vs('emergency-admission'), SCT, '183452005'), true)
  t.equal(check(vs('onward-referral-codes'), SCT, '871731000000106'), true, 'social prescribing is a referral procedure')
  t.equal(check(vs('onward-service-types'), SCT, '871731000000106'), false, '... not a service type')
  t.equal(check(vs('onward-service-types'), `${BASE}/CodeSystem/service-type`, 'crisis-response'), true)
  t.equal(check(vs('mdt-roles'), `${BASE}/CodeSystem/mdt-role`, 'pharmacist'), true)
  t.equal(check(vs('specialist-nursing-services'), `${BASE}/CodeSystem/service-type`, 'respiratory-nursing'), true)
  t.equal(check(vs('specialist-nursing-services'), `${BASE}/CodeSystem/service-type`, 'case-management'), false)
  t.same(expandValueSet(index, index.valueSet(vs('risk-tiers'))!).expansion!.contains!.map((c) => c.code), ['below-threshold', 'mild', 'moderate', 'severe'])
  t.same(expandValueSet(index, index.valueSet(vs('nhs-number-verification-status'))!).expansion!.contains!.map((c) => c.code), ['01', '02', '03', '04', '05', '06', '07', '08'])
  const reasons = index.codeSystem(`${BASE}/CodeSystem/referral-rejection-reason`)!
  for (const child of ['under-18', 'not-registered', 'no-long-term-condition', 'not-at-risk', 'under-specialist-nurse', 'pregnant', 'end-of-life', 'nursing-home', 'mental-health-or-substance-misuse', 'acutely-unwell']) {
    t.equal(subsumption(reasons, 'not-eligible', child), 'subsumes', `not-eligible subsumes ${child}`)
  }
  t.equal(subsumption(reasons, 'not-eligible', 'duplicate'), 'not-subsumed')
})
