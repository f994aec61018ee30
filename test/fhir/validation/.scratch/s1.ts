import { schemaCheck, getValidator, compileAllSchemaValidators } from '../../../../src/fhir/validation/schema-check.js'
let t = performance.now()
getValidator('Patient')
console.log('first Patient compile (incl load)', (performance.now() - t).toFixed(0), 'ms')
t = performance.now(); getValidator('Observation'); console.log('Observation compile', (performance.now() - t).toFixed(0))
t = performance.now(); compileAllSchemaValidators(); console.log('all compile', (performance.now() - t).toFixed(0))
const p = { resourceType: 'Patient', id: 'a b', foo: 1, birthDate: 123, active: 'yes', gender: 'x', name: [{ given: ['a', 2] }, 'John'], maritalStatus: [{ text: 'x' }], deceasedDateTime: '2020-13-01',
  contained: [{ resourceType: 'Observation', status: 'bogus', code: {text:'x'}, bar: 2, contained: [{resourceType: 'Foo'}] }, 5, {}],
  _birthDate: null, telecom: [{ system: 'phone', value: '' }] }
console.log(schemaCheck(p, 'Patient'))
