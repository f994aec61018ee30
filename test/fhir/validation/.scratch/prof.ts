import { readFileSync, readdirSync } from 'node:fs'
import { crawlTypedValue, toTypedValue, getDataType } from '@medplum/core'
import { loadProfiles } from '../../../../src/fhir/validation/profile-check.js'
loadProfiles()
const dir = '/work/shared/data/synthea/'
const b = JSON.parse(readFileSync(dir + readdirSync(dir).filter(f => f.endsWith('.json'))[0], 'utf8'))
const patient = b.entry.find((e: any) => e.resource.resourceType === 'Patient').resource
const time = (f: () => unknown, n = 2000) => { for (let i = 0; i < 200; i++) f(); const t0 = performance.now(); for (let i = 0; i < n; i++) f(); return ((performance.now() - t0) * 1000 / n).toFixed(1) }
console.log('bare crawl', time(() => crawlTypedValue(toTypedValue(patient), { visitProperty() {} }, { schema: getDataType('Patient'), initialPath: 'Patient' })))
