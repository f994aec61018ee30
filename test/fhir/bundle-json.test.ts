// serialize() and serializeBytes(): Bundles whose entry resources are stored JSON text must come
// out exactly as JSON.stringify would write the same value parsed, at any depth, and as its UTF-8.
import t from 'tap'
import { RawJson, serialize, serializeBytes } from '../../src/fhir/bundle-json.js'

const patient = '{"resourceType":"Patient","id":"p1","name":[{"family":"Zoë \\"Quoted\\"","given":["\\u0001","Ŵyn 🌿"]}]}'

/** The same value with every RawJson parsed, for JSON.stringify to compare against. */
function parsed(value: unknown): unknown {
  if (value instanceof RawJson) return JSON.parse(value.text)
  if (Array.isArray(value)) return value.map(parsed)
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, parsed(v)]))
  }
  return value
}

t.test('a searchset with stored bodies is written as JSON.stringify would write it', async (t) => {
  const bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    total: 2,
    link: [{ relation: 'self', url: 'http://127.0.0.1/fhir/Patient?name=zo%C3%AB' }],
    entry: [
      { fullUrl: 'http://127.0.0.1/fhir/Patient/p1', resource: new RawJson(patient), search: { mode: 'match' } },
      { fullUrl: 'http://127.0.0.1/fhir/Patient/p1', resource: new RawJson(patient), search: { mode: 'include' } },
    ],
  }
  const text = serialize(bundle)
  t.equal(text, JSON.stringify(parsed(bundle)))
  t.same(JSON.parse(text).entry[0].resource.name[0].given, ['\u0001', 'Ŵyn 🌿'], 'control characters and astral characters inside bodies survive')
  t.same(serializeBytes(bundle), Buffer.from(JSON.stringify(parsed(bundle))), 'as UTF-8 bytes')
})

t.test('JSON.stringify rules hold at every level: undefined, functions, dates, numeric keys', async (t) => {
  const value = {
    2: 'two',
    1: 'one',
    skipped: undefined,
    fn: () => 1,
    list: [1, undefined, () => 1, new Date(0), null, 'x'],
    when: new Date(Date.UTC(2026, 0, 2)),
    deep: { a: { b: { c: { raw: new RawJson('{"x":[1,2]}'), list: [new RawJson('[3]')] } } } },
    sparse: Object.assign(new Array(3), { 1: 'b' }),
  }
  t.equal(serialize(value), JSON.stringify(parsed(value)))
  t.same(serializeBytes(value), Buffer.from(JSON.stringify(parsed(value))), 'as UTF-8 bytes')
  t.same(serializeBytes({ entry: [] }), Buffer.from('{"entry":[]}'), 'an empty list')
})

t.test('a resource nested deeper than an entry (a Bundle in Parameters) is spliced too', async (t) => {
  const value = {
    resourceType: 'Parameters',
    parameter: [{ name: 'return', resource: { resourceType: 'Bundle', entry: [{ resource: new RawJson(patient) }] } }],
  }
  t.equal(serialize(value), JSON.stringify(parsed(value)))
})

t.test('pretty printing gives the indented form of the same JSON', async (t) => {
  const value = { resourceType: 'Bundle', entry: [{ resource: new RawJson(patient) }] }
  t.equal(serialize(value, true), JSON.stringify(parsed(value), null, 2))
  t.equal(serialize(patient, true), JSON.stringify(JSON.parse(patient), null, 2), 'a body alone')
  t.equal(serialize(patient), patient, 'a body alone is sent as stored')
})
