import { evalFhirPathTyped, toTypedValue, parseFhirPath } from '@medplum/core'
import { loadProfiles } from '../../../../src/fhir/validation/profile-check.js'
loadProfiles()
const ev = (expr: string, type: string, value: any) => { try { return JSON.stringify(evalFhirPathTyped(parseFhirPath(expr), [{ type, value }], { '%ucum': toTypedValue('http://unitsofmeasure.org') })) } catch (e) { return 'ERR ' + (e as Error).message } }
const u = 'http://unitsofmeasure.org'
console.log('rng units', ev('low.empty() or high.empty() or (low <= high)', 'Range', { low: { value: 1, system: u, code: 'g' }, high: { value: 500, system: u, code: 'mg' } }))
console.log('rng bad', ev('low.empty() or high.empty() or (low <= high)', 'Range', { low: { value: 5, system: u, code: 'mg' }, high: { value: 1, system: u, code: 'mg' } }))
console.log('rng ok', ev('low.empty() or high.empty() or (low <= high)', 'Range', { low: { value: 1, system: u, code: 'mg' }, high: { value: 5, system: u, code: 'mg' } }))
console.log('rng nounit', ev('low.empty() or high.empty() or (low <= high)', 'Range', { low: { value: 10 }, high: { value: 9 } }))
const per = 'start.hasValue().not() or end.hasValue().not() or (start <= end)'
for (const [s, e] of [['2020-01-01T10:00:00+02:00', '2020-01-01T09:00:00Z'], ['2020-01-01', '2020-01-01T10:00:00Z'], ['2020-01-02', '2020-01-01T10:00:00Z'], ['2020-01-01T10:00:00Z', '2020-01-01T10:00:00.5Z'], ['2021', '2020-05']])
  console.log('per', s, e, ev(per, 'Period', { start: s, end: e }))
console.log('ref1 display', ev("reference.startsWith('#').not() or (reference.substring(1).trace('url') in %rootResource.contained.id.trace('ids'))", 'Reference', { display: 'x' }))
