import { createRequire } from 'node:module'
import { Ajv } from 'ajv'
import { buildSchema, SCHEMA_ID } from '../../../../src/fhir/validation/schema-check.js'
import { loadRawSchema, resourceTypes } from '../../../../src/fhir/validation/definitions.js'
import { readFileSync, readdirSync } from 'node:fs'
const require = createRequire(import.meta.url)
const raw = loadRawSchema()
let t = performance.now(); const built = buildSchema(raw); console.log('buildSchema ms', (performance.now() - t).toFixed(0))
const opt = JSON.parse(process.argv[2])
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, ...opt })
ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'))
ajv.addKeyword({ keyword: 'fhirResource', schemaType: 'boolean', validate: () => true })
t = performance.now(); ajv.addSchema(built); console.log('addSchema ms', (performance.now() - t).toFixed(0))
t = performance.now(); for (const rt of resourceTypes()) ajv.getSchema(SCHEMA_ID + '#/definitions/' + rt); console.log(JSON.stringify(opt), 'compile all ms', (performance.now() - t).toFixed(0))
const b = JSON.parse(readFileSync('/work/shared/data/synthea/' + readdirSync('/work/shared/data/synthea').filter(f => f.endsWith('.json'))[0], 'utf8'))
const p = b.entry[0].resource; const v = ajv.getSchema(SCHEMA_ID + '#/definitions/Patient')!
t = performance.now(); for (let i = 0; i < 20000; i++) v(p); console.log('Patient µs', ((performance.now() - t) * 1000 / 20000).toFixed(1))
