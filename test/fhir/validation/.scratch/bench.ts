import { readFileSync, readdirSync } from 'node:fs'
import { checkResource, initValidation } from '../../../../src/fhir/validation/index.js'
import { schemaCheck, getValidator } from '../../../../src/fhir/validation/schema-check.js'
import { profileCheck, loadProfiles } from '../../../../src/fhir/validation/profile-check.js'
import { invariantCheck } from '../../../../src/fhir/validation/invariant-check.js'
import { preflight } from '../../../../src/fhir/validation/preflight.js'
const mode = process.argv[2] ?? 'bench'
if (mode === 'lazy') {
  let t = performance.now(); loadProfiles(); console.log('loadProfiles ms', (performance.now() - t).toFixed(0))
  t = performance.now(); getValidator('Patient'); console.log('first lazy compile Patient (incl schema load) ms', (performance.now() - t).toFixed(0))
  t = performance.now(); getValidator('Observation'); console.log('then Observation ms', (performance.now() - t).toFixed(0))
  t = performance.now(); getValidator('Bundle'); console.log('then Bundle ms', (performance.now() - t).toFixed(0))
  process.exit(0)
}
let t = performance.now(); initValidation(); console.log('initValidation ms', (performance.now() - t).toFixed(0))
t = performance.now(); initValidation(); console.log('second initValidation ms', (performance.now() - t).toFixed(3))
const dir = '/work/shared/data/synthea/'
const b = JSON.parse(readFileSync(dir + readdirSync(dir).filter(f => f.endsWith('.json'))[0], 'utf8'))
const patient = b.entry.find((e: any) => e.resource.resourceType === 'Patient').resource
const obs = b.entry.find((e: any) => e.resource.resourceType === 'Observation' && e.resource.valueQuantity).resource
const time = (f: () => unknown, n = 3000) => { for (let i = 0; i < 200; i++) f(); const t0 = performance.now(); for (let i = 0; i < n; i++) f(); return ((performance.now() - t0) * 1000 / n).toFixed(1) }
for (const [name, r] of [['Patient', patient], ['Observation', obs]] as const) {
  console.log(name, JSON.stringify(r).length, 'bytes',
    'preflight', time(() => preflight(r)), 'µs; schema', time(() => schemaCheck(r, name)), 'µs; medplum', time(() => profileCheck(r, name)),
    'µs; invariants', time(() => invariantCheck(r, name)), 'µs; checkResource', time(() => checkResource(r)), 'µs')
}
