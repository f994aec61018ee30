import { readFileSync, readdirSync } from 'node:fs'
import { invariantCheck } from '../../../../src/fhir/validation/invariant-check.js'
import { loadProfiles } from '../../../../src/fhir/validation/profile-check.js'
loadProfiles()
const dir = '/work/shared/data/synthea/'
const b = JSON.parse(readFileSync(dir + readdirSync(dir).filter(f => f.endsWith('.json'))[0], 'utf8'))
const patient = b.entry.find((e: any) => e.resource.resourceType === 'Patient').resource
const t0 = performance.now(); for (let i = 0; i < 5000; i++) invariantCheck(patient, 'Patient'); console.log(((performance.now() - t0) * 1000 / 5000).toFixed(1))
