import { createRequire } from 'node:module'
import { Ajv } from 'ajv'
import { buildSchema, SCHEMA_ID } from '../../../../src/fhir/validation/schema-check.js'
import { loadRawSchema } from '../../../../src/fhir/validation/definitions.js'
const require = createRequire(import.meta.url)
const built = buildSchema(loadRawSchema())
for (const inlineRefs of [true, false]) {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, inlineRefs, verbose: true })
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'))
  ajv.addKeyword({ keyword: 'fhirResource', schemaType: 'boolean', validate: () => true })
  ajv.addSchema(structuredClone(built))
  let t = performance.now()
  const v = ajv.getSchema(SCHEMA_ID + '#/definitions/Observation')!
  const c1 = performance.now() - t
  t = performance.now()
  for (const rt of Object.keys(built.definitions).filter(k => built.definitions[k].properties?.resourceType?.const === k)) ajv.getSchema(SCHEMA_ID + '#/definitions/' + rt)
  const c2 = performance.now() - t
  const obs = JSON.parse(require('fs').readFileSync('/work/shared/data/synthea/' + require('fs').readdirSync('/work/shared/data/synthea').find((f: string) => f.endsWith('.json')), 'utf8')).entry.map((e: any) => e.resource).find((r: any) => r.resourceType === 'Observation')
  const N = 20000
  t = performance.now(); for (let i = 0; i < N; i++) v(obs); const us = (performance.now() - t) * 1000 / N
  v({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, effectiveDateTime: '2020-13-01', issued: 'x', meta: { versionId: 'a b' } })
  console.log({ inlineRefs, c1, c2, us }, v.errors!.map(e => [e.instancePath, e.schemaPath, (e.parentSchema as any)?.description?.slice(0, 30)]))
}
