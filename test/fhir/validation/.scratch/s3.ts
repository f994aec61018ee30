import { readFileSync, readdirSync } from 'node:fs'
import { checkResource, initValidation } from '../../../../src/fhir/validation/index.js'
import { schemaCheck } from '../../../../src/fhir/validation/schema-check.js'
import { profileCheck } from '../../../../src/fhir/validation/profile-check.js'
let t = performance.now(); initValidation(); console.log('init ms', performance.now() - t)
const dir = '/work/shared/data/synthea/'
const counts = new Map<string, number>(); const examples = new Map<string, any>()
let n = 0, ts = 0, tp = 0
for (const f of readdirSync(dir).filter(f => f.endsWith('.json'))) {
  const b = JSON.parse(readFileSync(dir + f, 'utf8'))
  for (const e of b.entry) {
    n++
    let t0 = performance.now(); const a = schemaCheck(e.resource, e.resource.resourceType); ts += performance.now() - t0
    t0 = performance.now(); const p = profileCheck(e.resource, e.resource.resourceType); tp += performance.now() - t0
    for (const i of [...a.map(x => ({ ...x, layer: 'schema' })), ...p.map(x => ({ ...x, layer: 'profile' }))]) {
      const k = `${i.layer} ${i.severity} ${i.code} ${i.diagnostics?.slice(0, 150)} @ ${i.expression?.[0]?.replace(/\[\d+\]/g, '[]')}`
      counts.set(k, (counts.get(k) ?? 0) + 1); if (!examples.has(k)) examples.set(k, f)
    }
  }
}
console.log(n, 'resources; schema ms', ts.toFixed(0), 'profile ms', tp.toFixed(0))
for (const [k, c] of [...counts].sort((a, b) => b[1] - a[1])) console.log(c, k, examples.get(k).slice(0, 30))
