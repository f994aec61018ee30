import { readFileSync, readdirSync } from 'node:fs'
import { checkResource, initValidation } from '../../../../src/fhir/validation/index.js'
import { invariantCheck } from '../../../../src/fhir/validation/invariant-check.js'
initValidation()
const dir = '/work/shared/data/synthea/'
const counts = new Map<string, number>()
let n = 0, ti = 0, tc = 0
for (const f of readdirSync(dir).filter(f => f.endsWith('.json'))) {
  const b = JSON.parse(readFileSync(dir + f, 'utf8'))
  for (const e of b.entry) {
    n++
    let t0 = performance.now(); invariantCheck(e.resource, e.resource.resourceType); ti += performance.now() - t0
    t0 = performance.now(); const issues = checkResource(e.resource); tc += performance.now() - t0
    for (const i of issues) { const k = `${i.severity} ${i.code} ${i.diagnostics?.slice(0, 120)} @ ${i.expression?.[0]?.replace(/\[\d+\]/g, '[]')}`; counts.set(k, (counts.get(k) ?? 0) + 1) }
  }
}
console.log(n, 'invariant ms', ti.toFixed(0), 'total ms', tc.toFixed(0))
for (const [k, c] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(c, k)
