// $validate-code (ValueSet and CodeSystem), $lookup and $subsumes over local content, and the
// CodeChecker used for required bindings. R4: valueset-operation-validate-code.html,
// codesystem-operation-validate-code.html, codesystem-operation-lookup.html,
// codesystem-operation-subsumes.html.
import t from 'tap'
import type { FhirError } from '../../src/errors.js'
import { codeCheckerFor, lookupOperation, subsumesOperation, validateCodeOperation } from '../../src/terminology/index.js'
import { failure, fixtureIndex, out, params, SCT, SHAPES, shapes, vsUrl } from './fixtures.js'

const index = fixtureIndex()

t.test('ValueSet/$validate-code: result, message and display', async (t) => {
  const cases: [string, Record<string, unknown>, boolean, RegExp | undefined, string | undefined][] = [
    ['code in the value set', { url: vsUrl('polygons'), system: SHAPES, code: 'square' }, true, undefined, 'Square'],
    ['code of the system, not in the value set', { url: vsUrl('polygons'), system: SHAPES, code: 'circle' }, false, /from system .*shapes is not in value set/, undefined],
    ['unknown code of a local system', { url: vsUrl('polygons'), system: SHAPES, code: 'hexagon' }, false, /Unknown code 'hexagon'/, undefined],
    ['SNOMED code listed in the value set', { url: vsUrl('hearts'), system: SCT, code: '84114007' }, true, undefined, 'Heart failure'],
    ['SNOMED code not listed', { url: vsUrl('hearts'), system: SCT, code: '394923006' }, false, /not in value set/, undefined],
    // R4: result is true only if the concept details supplied are valid, so a wrong display fails
    ['wrong display', { url: vsUrl('hearts'), system: SCT, code: '84114007', display: 'Heart attack' }, false, /Wrong display 'Heart attack'.*'Heart failure'/, 'Heart failure'],
    ['display differing in case and semantic tag only', { url: vsUrl('hearts'), system: SCT, code: '84114007', display: 'heart failure (disorder)' }, true, undefined, 'Heart failure'],
    ['display matching a designation', { url: vsUrl('all-shapes'), system: SHAPES, code: 'quadrilateral', display: 'Quadrangle' }, true, undefined, 'Quadrilateral'],
    ['inactive code: valid, with a warning', { url: vsUrl('all-shapes'), system: SHAPES, code: 'ellipse' }, true, /inactive/, 'Old ellipse'],
    ['abstract code where abstract = false', { url: vsUrl('all-shapes'), system: SHAPES, code: 'shape', abstract: false }, false, /abstract/, 'Shape'],
    ['system inferred when unambiguous', { url: vsUrl('hearts'), code: '42343007' }, true, undefined, 'Congestive heart failure'],
    ['no system, code not in value set', { url: vsUrl('hearts'), code: 'x' }, false, /no system given/, undefined],
    ['whole non-local system: member without checking the code', { url: vsUrl('all-loinc'), system: 'http://loinc.org', code: '2-1' }, true, /not held by this server/, undefined],
    ['excluded from a non-local system', { url: vsUrl('all-loinc'), system: 'http://loinc.org', code: '1-8' }, false, /not in value set/, undefined],
    ['coding input', { url: vsUrl('polygons'), coding: { system: SHAPES, code: 'triangle', display: 'Triangle' } }, true, undefined, 'Triangle'],
    ['codeableConcept: one valid coding is enough', { url: vsUrl('polygons'), codeableConcept: { coding: [{ system: SHAPES, code: 'circle' }, { system: SHAPES, code: 'triangle' }] } }, true, undefined, 'Triangle'],
    ['codeableConcept: no valid coding', { url: vsUrl('polygons'), codeableConcept: { coding: [{ system: SHAPES, code: 'circle' }, { system: SCT, code: '1' }] } }, false, /circle.*; .*'1'/, undefined],
    ['unknown version of the code system', { url: vsUrl('polygons'), system: SHAPES, code: 'square', systemVersion: '5' }, false, /Version '5'/, undefined],
  ]
  for (const [name, input, result, message, display] of cases) {
    const p = validateCodeOperation(index, 'ValueSet', params(input))
    t.equal(out(p, 'result'), result, `${name}: result`)
    if (message) t.match(out(p, 'message'), message, `${name}: message`)
    else t.equal(out(p, 'message'), undefined, `${name}: no message`)
    t.equal(out(p, 'display'), display, `${name}: display`)
  }
  const instance = validateCodeOperation(index, 'ValueSet', params({ system: SHAPES, code: 'circle' }), index.valueSet(vsUrl('children-of-round')))
  t.equal(out(instance, 'result'), true, 'instance level uses the given ValueSet')
})

t.test('CodeSystem/$validate-code', async (t) => {
  const cases: [Record<string, unknown>, boolean, RegExp | undefined][] = [
    [{ url: SHAPES, code: 'circle' }, true, undefined],
    [{ url: SHAPES, code: 'hexagon' }, false, /Unknown code 'hexagon'/],
    [{ url: SHAPES, code: 'circle', display: 'Ring' }, false, /Wrong display 'Ring'/],
    [{ coding: { system: SHAPES, code: 'square' } }, true, undefined],
    [{ url: SHAPES, version: '1.0.0', code: 'circle' }, false, /Unknown code 'circle'/], // v1 has only `shape`
    [{ codeSystem: shapes, code: 'triangle' }, true, undefined],
  ]
  for (const [input, result, message] of cases) {
    const p = validateCodeOperation(index, 'CodeSystem', params(input))
    t.equal(out(p, 'result'), result, JSON.stringify(input).slice(0, 80))
    if (message) t.match(out(p, 'message'), message)
  }
  t.match(failure(() => validateCodeOperation(index, 'CodeSystem', params({ url: SCT, code: '84114007' }))), { status: 404 }, 'SNOMED CT is not held locally')
})

t.test('$validate-code input errors', async (t) => {
  const cases: [Record<string, unknown>, string][] = [
    [{ url: vsUrl('hearts') }, 'code'], // none of code, coding, codeableConcept
    [{ url: vsUrl('hearts'), code: '1', coding: { system: SCT, code: '1' } }, 'coding'],
    [{ url: vsUrl('nope'), code: '1' }, 'url'],
  ]
  for (const [input, location] of cases) {
    try {
      validateCodeOperation(index, 'ValueSet', params(input))
      t.fail('expected an error')
    } catch (err) {
      t.same((err as FhirError).outcome.issue[0].expression, [location], JSON.stringify(input))
    }
  }
})

t.test('CodeSystem/$lookup: display, designations, properties, parent and child', async (t) => {
  const p = lookupOperation(index, params({ system: SHAPES, code: 'quadrilateral' }))
  t.equal(out(p, 'name'), 'Shapes')
  t.equal(p.parameter!.find((x) => x.name === 'version')?.valueString, '2.0.0')
  t.equal(out(p, 'display'), 'Quadrilateral')
  t.same(p.parameter!.find((x) => x.name === 'designation')?.part, [{ name: 'language', valueCode: 'en' }, { name: 'value', valueString: 'Quadrangle' }])
  const props = p.parameter!.filter((x) => x.name === 'property').map((x) => [x.part![0].valueCode, x.part![1].valueCode ?? x.part![1].valueInteger])
  t.same(props, [['parent', 'polygon'], ['child', 'square'], ['sides', 4]])

  const only = lookupOperation(index, params({ coding: { system: SHAPES, code: 'polygon' }, property: 'definition' }))
  t.same(only.parameter!.filter((x) => x.name === 'property').map((x) => x.part![1].valueString), ['A closed figure with straight sides'], 'property limits the properties returned')
  t.equal(out(lookupOperation(index, params({ system: SHAPES, code: 'shape', version: '1.0.0' })), 'display'), 'Shape (v1)', 'version picks the CodeSystem version')
  t.equal(out(lookupOperation(index, params({ code: 'circle' }), shapes), 'display'), 'Circle', 'instance level')

  const errors: [Record<string, unknown>, number, string][] = [
    [{ system: SHAPES, code: 'hexagon' }, 404, 'code'],
    [{ system: SCT, code: '84114007' }, 404, 'system'],
    [{ code: 'circle' }, 400, 'system'],
    [{ system: SHAPES }, 400, 'code'],
  ]
  for (const [input, status, location] of errors) {
    t.match(failure(() => lookupOperation(index, params(input))), { status, outcome: { issue: [{ expression: [location] }] } }, JSON.stringify(input))
  }
})

t.test('CodeSystem/$subsumes: all four outcomes over nesting and parent properties', async (t) => {
  const cases: [string, string, string][] = [
    ['polygon', 'polygon', 'equivalent'],
    ['polygon', 'square', 'subsumes'], // square is-a quadrilateral (property) is-a polygon (nesting)
    ['square', 'shape', 'subsumed-by'],
    ['triangle', 'circle', 'not-subsumed'],
  ]
  for (const [a, b, outcome] of cases) {
    t.equal(out(subsumesOperation(index, params({ system: SHAPES, codeA: a, codeB: b })), 'outcome'), outcome, `${a} / ${b}`)
  }
  const codings = subsumesOperation(index, params({ codingA: { system: SHAPES, code: 'round' }, codingB: { system: SHAPES, code: 'ellipse' } }))
  t.equal(out(codings, 'outcome'), 'subsumes', 'codingA / codingB')
  t.equal(out(subsumesOperation(index, params({ codeA: 'circle', codeB: 'round' }), shapes), 'outcome'), 'subsumed-by', 'instance level')
  t.match(failure(() => subsumesOperation(index, params({ system: SHAPES, codeA: 'x', codeB: 'circle' }))), { status: 400, outcome: { issue: [{ expression: ['codeA'] }] } })
  t.match(failure(() => subsumesOperation(index, params({ system: SCT, codeA: '1', codeB: '2' }))), { status: 404 })
  t.match(failure(() => subsumesOperation(index, params({ codingA: { system: SHAPES, code: 'x' }, codingB: { system: SCT, code: 'y' } }))), { status: 400 }, 'different systems')
})

t.test('CodeChecker: membership for required bindings', async (t) => {
  const idx = fixtureIndex()
  const check = codeCheckerFor(idx)
  const cases: [string, string | undefined, string, boolean | undefined][] = [
    [vsUrl('polygons'), SHAPES, 'square', true],
    [vsUrl('polygons'), SHAPES, 'circle', false],
    [`${vsUrl('polygons')}|1`, SHAPES, 'triangle', true], // url|version
    [`${vsUrl('polygons')}|2`, SHAPES, 'triangle', undefined], // no such version
    [vsUrl('hearts'), SCT, '84114007', true],
    [vsUrl('hearts'), undefined, '84114007', true], // code-typed element: no system
    [vsUrl('hearts'), undefined, 'nope', false],
    [vsUrl('all-loinc'), 'http://loinc.org', '2-1', true],
    [vsUrl('all-loinc'), undefined, '2-1', undefined], // cannot tell without the system
    [vsUrl('loop-a'), SHAPES, 'x', undefined], // content that cannot be evaluated
    ['http://example.org/unknown', SCT, '1', undefined],
  ]
  for (const [url, system, code, expected] of cases) t.equal(check(url, system, code), expected, `${url} ${system} ${code}`)
  idx.add({ resourceType: 'ValueSet', url: vsUrl('polygons'), version: '1', status: 'active', compose: { include: [{ system: SHAPES, concept: [{ code: 'circle' }] }] } })
  t.equal(check(vsUrl('polygons'), SHAPES, 'circle'), true, 'sees value sets replaced after it was made')
})
