// ValueSet/$expand over local content (valueset-operation-expand.html, valueset.html#compose, R4).
import t from 'tap'
import type { FhirError } from '../../src/errors.js'
import { expandOperation } from '../../src/terminology/index.js'
import { failure, fixtureIndex, params, SCT, SHAPES, vsUrl } from './fixtures.js'

const index = fixtureIndex()
const codes = (id: string, extra: Record<string, unknown> = {}) =>
  (expandOperation(index, params({ url: vsUrl(id), ...extra })).expansion?.contains ?? []).map((c) => c.code)

t.test('compose: includes, filters, imports and excludes (valueset.html#compose)', async (t) => {
  const cases: [string, string[]][] = [
    ['all-shapes', ['shape', 'polygon', 'triangle', 'quadrilateral', 'round', 'circle', 'square', 'ellipse']],
    ['polygons', ['polygon', 'triangle', 'quadrilateral', 'square']], // is-a follows nesting and `parent` properties
    ['below-polygon', ['triangle', 'quadrilateral', 'square']], // descendent-of leaves the root out
    ['not-polygons', ['shape', 'round', 'circle', 'ellipse']],
    ['four-sided', ['quadrilateral', 'square']], // = on a concept property
    ['tri-or-circle', ['triangle', 'circle']],
    ['r-codes', ['round']], // regex matches the whole code
    ['children-of-round', ['circle', 'ellipse']],
    ['round-polygons', ['quadrilateral', 'square']], // imports in one include intersect
    ['shapes-but-polygons', ['shape', 'round', 'circle', 'ellipse']],
    ['active-shapes', ['shape', 'polygon', 'triangle', 'quadrilateral', 'round', 'circle', 'square']], // compose.inactive = false
    ['hearts-and-polygons', ['84114007', 'polygon', 'triangle', 'quadrilateral', 'square']], // includes union, exclude by concept
    ['pinned-v1', ['shape']], // include.version picks that version of the CodeSystem
  ]
  for (const [id, expected] of cases) t.same(codes(id), expected, id)
})

t.test('expansion metadata: total, offset, parameter echo, timestamp, identifier', async (t) => {
  const vs = expandOperation(index, params({ url: vsUrl('all-shapes'), offset: '2', count: '3', activeOnly: 'true' }))
  const e = vs.expansion!
  t.equal(e.total, 7, 'total counts the whole (filtered) expansion, not the page')
  t.equal(e.offset, 2)
  t.same(e.contains!.map((c) => c.code), ['triangle', 'quadrilateral', 'round'])
  t.match(e.identifier, /^urn:uuid:[0-9a-f-]{36}$/)
  t.ok(!Number.isNaN(Date.parse(e.timestamp!)), 'timestamp is a dateTime')
  t.same(e.parameter, [
    { name: 'offset', valueInteger: 2 },
    { name: 'count', valueInteger: 3 },
    { name: 'activeOnly', valueBoolean: true },
    { name: 'used-codesystem', valueUri: `${SHAPES}|2.0.0` },
  ], 'inputs echoed with their types, plus the code systems used')
  t.equal(vs.compose, undefined, 'the definition is not repeated')
  t.equal(vs.url, vsUrl('all-shapes'))
})

t.test('contains flags inactive and abstract concepts and carries the version', async (t) => {
  const all = expandOperation(index, params({ url: vsUrl('all-shapes') })).expansion!.contains!
  t.match(all.find((c) => c.code === 'shape'), { abstract: true, version: '2.0.0', display: 'Shape' })
  t.match(all.find((c) => c.code === 'ellipse'), { inactive: true })
})

t.test('text filter: case-insensitive word starts, then paging', async (t) => {
  const cases: [Record<string, unknown>, string[], number][] = [
    [{ filter: 'sha' }, ['shape', 'round'], 2], // "Round shape"
    [{ filter: 'ROUND SH' }, ['round'], 1],
    [{ filter: 'angle' }, [], 0], // not a word start
    [{ filter: 'quadrang' }, ['quadrilateral'], 1], // designations count
    [{ filter: 'sha', count: '1' }, ['shape'], 2],
    [{ filter: 'sha', offset: '1', count: '5' }, ['round'], 2],
    [{ count: '0' }, [], 8], // count = 0 asks for the size only
  ]
  for (const [extra, expected, total] of cases) {
    const e = expandOperation(index, params({ url: vsUrl('all-shapes'), ...extra })).expansion!
    t.same((e.contains ?? []).map((c) => c.code), expected, JSON.stringify(extra))
    t.equal(e.total, total, `total for ${JSON.stringify(extra)}`)
  }
})

t.test('instance level, inline valueSet and valueSetVersion', async (t) => {
  const target = index.valueSet(vsUrl('four-sided'))!
  t.same(expandOperation(index, params({}), target).expansion!.contains!.map((c) => c.code), ['quadrilateral', 'square'])
  const inline = { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: SHAPES, concept: [{ code: 'circle' }] }] } }
  t.same(expandOperation(index, params({ valueSet: inline })).expansion!.contains, [{ system: SHAPES, version: '2.0.0', code: 'circle', display: 'Circle' }])
  t.equal(expandOperation(index, params({ url: vsUrl('hearts'), valueSetVersion: '1' })).expansion!.total, 2)
  t.equal(expandOperation(index, params({ url: `${vsUrl('hearts')}|1` })).expansion!.total, 2, 'url|version')
})

t.test('errors are OperationOutcomes with a status and the parameter as location', async (t) => {
  const cases: [Record<string, unknown>, number, string, RegExp][] = [
    [{ url: vsUrl('nope') }, 404, 'not-found', /not known/],
    [{ url: vsUrl('hearts'), valueSetVersion: '7' }, 404, 'not-found', /version 7/],
    [{}, 400, 'invalid', /give url or valueSet/],
    [{ url: vsUrl('all-loinc') }, 400, 'not-supported', /http:\/\/loinc\.org.*cannot enumerate/],
    [{ url: vsUrl('bad-filter-sct') }, 400, 'not-supported', /filters http:\/\/snomed\.info\/sct/],
    [{ url: vsUrl('pinned-v9') }, 404, 'not-found', /version 9/],
    [{ url: vsUrl('loop-a') }, 422, 'processing', /imports itself/],
    [{ url: vsUrl('all-shapes'), count: '-1' }, 400, 'invalid', /count/],
    [{ url: vsUrl('all-shapes'), activeOnly: 'maybe' }, 400, 'invalid', /activeOnly/],
    [{ url: vsUrl('all-shapes'), context: 'x' }, 400, 'not-supported', /context/],
  ]
  for (const [input, status, code, message] of cases) {
    try {
      expandOperation(index, params(input))
      t.fail(`expected an error for ${JSON.stringify(input)}`)
    } catch (err) {
      const e = err as FhirError
      t.equal(e.status, status, JSON.stringify(input))
      t.equal(e.outcome.issue[0].code, code)
      t.match(e.outcome.issue[0].diagnostics, message)
    }
  }
  try {
    expandOperation(index, params({ url: vsUrl('all-shapes'), count: 'x' }))
  } catch (err) {
    t.same((err as FhirError).outcome.issue[0].expression, ['count'], 'the location is the parameter name')
  }
})

t.test('the index is incremental: add, replace, remove', async (t) => {
  const idx = fixtureIndex()
  const url = 'http://example.org/fhir/ValueSet/later'
  idx.add({ resourceType: 'ValueSet', url, status: 'active', compose: { include: [{ system: SCT, concept: [{ code: '1' }] }] } })
  t.equal(expandOperation(idx, params({ url })).expansion!.total, 1)
  idx.add({ resourceType: 'ValueSet', url, status: 'active', compose: { include: [{ system: SCT, concept: [{ code: '1' }, { code: '2' }] }] } })
  t.equal(expandOperation(idx, params({ url })).expansion!.total, 2, 'replacing drops the memoised content')
  t.ok(idx.remove(url))
  t.match(failure(() => expandOperation(idx, params({ url }))), { status: 404 })
})
