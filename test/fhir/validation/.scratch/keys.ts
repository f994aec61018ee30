import { readFileSync, readdirSync } from 'node:fs'
import * as core from '@medplum/core'
import { loadProfiles } from '../../../../src/fhir/validation/profile-check.js'
loadProfiles()
const counts = new Map<string, number>()
const dir = '/work/shared/data/synthea/'
for (const f of readdirSync(dir).filter(f => f.endsWith('.json')).slice(0, 10)) {
  for (const e of JSON.parse(readFileSync(dir + f, 'utf8')).entry) {
    core.crawlTypedValue(core.toTypedValue(e.resource), { visitProperty() {}, onEnterObject(_p, v, s) { if (s.kind === 'complex-type') for (const c of s.constraints ?? []) counts.set(s.type + ' ' + c.key, (counts.get(s.type + ' ' + c.key) ?? 0) + 1) } }, { schema: core.getDataType(e.resource.resourceType), initialPath: e.resource.resourceType })
  }
}
console.log([...counts].sort((a, b) => b[1] - a[1]))
