// Terminology operations over HTTP (terminology-service.html): ValueSet/$expand,
// $validate-code, CodeSystem/$lookup, $subsumes and ConceptMap/$translate on CaseHub's own content and on
// ValueSets written through the API. The engine's own cases are in test/terminology/.
import t from 'tap'
import { startTestServer, type TestServer } from '../../helpers/test-server.js'
import { checkResource } from '../../../src/fhir/validation/index.js'

const RR = 'https://casehub.org/fhir/CodeSystem/referral-rejection-reason'
const HF = 'https://casehub.org/fhir/ValueSet/heart-failure'

async function get(hub: TestServer, path: string) {
  const res = await hub.fetch(path)
  return { status: res.status, body: (await res.json()) as any }
}

async function post(hub: TestServer, path: string, body: object) {
  const res = await hub.fetch(path, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as any }
}

const out = (params: any, name: string) => params.parameter?.find((p: any) => p.name === name)

t.test('terminology operations', async (t) => {
  const hub = await startTestServer(t)

  t.test('ValueSet/$expand by url (GET), with filter, count and offset', async (t) => {
    const all = await get(hub, `ValueSet/$expand?url=${encodeURIComponent(HF)}`)
    t.equal(all.status, 200)
    t.equal(all.body.resourceType, 'ValueSet')
    t.ok(all.body.expansion.contains.some((c: any) => c.system === 'http://snomed.info/sct' && c.code === '84114007'))
    t.equal(all.body.expansion.total, all.body.expansion.contains.length)
    const filtered = await get(hub, `ValueSet/$expand?url=${encodeURIComponent(HF)}&filter=chronic`)
    t.ok(filtered.body.expansion.contains.length > 0)
    t.ok(filtered.body.expansion.contains.every((c: any) => /chronic/i.test(c.display)), 'only matching displays')
    const page = await get(hub, `ValueSet/$expand?url=${encodeURIComponent(HF)}&count=2&offset=1`)
    t.equal(page.body.expansion.contains.length, 2)
    t.equal(page.body.expansion.offset, 1)
    t.same(page.body.expansion.contains[0], all.body.expansion.contains[1], 'offset skips the first')
  })

  t.test('instance-level $expand of a stored ValueSet, and of one written through the API', async (t) => {
    const own = await get(hub, 'ValueSet/risk-tiers/$expand')
    t.same(own.body.expansion.contains.map((c: any) => c.code).sort(), ['below-threshold', 'mild', 'moderate', 'severe'])
    const created = await post(hub, 'ValueSet', {
      resourceType: 'ValueSet', url: 'https://example.org/fhir/ValueSet/not-eligible', status: 'active',
      compose: { include: [{ system: RR, filter: [{ property: 'concept', op: 'descendent-of', value: 'not-eligible' }] }] },
    })
    t.equal(created.status, 201)
    const expanded = await get(hub, `ValueSet/${created.body.id}/$expand`)
    t.equal(expanded.status, 200)
    const codes = expanded.body.expansion.contains.map((c: any) => c.code)
    t.ok(codes.includes('under-18'))
    t.notOk(codes.includes('not-eligible'), 'descendent-of excludes the concept itself')
  })

  t.test('ValueSet/$validate-code: true, false, and the POST form with a Coding', async (t) => {
    const yes = await get(hub, `ValueSet/$validate-code?url=${encodeURIComponent(HF)}&system=http://snomed.info/sct&code=84114007`)
    t.equal(out(yes.body, 'result').valueBoolean, true)
    const no = await get(hub, `ValueSet/$validate-code?url=${encodeURIComponent(HF)}&system=http://snomed.info/sct&code=13645005`)
    t.equal(out(no.body, 'result').valueBoolean, false)
    t.ok(out(no.body, 'message'))
    const coded = await post(hub, 'ValueSet/$validate-code', {
      resourceType: 'Parameters',
      parameter: [{ name: 'url', valueUri: HF }, { name: 'coding', valueCoding: { system: 'http://snomed.info/sct', code: '88805009' } }],
    })
    t.equal(out(coded.body, 'result').valueBoolean, true)
  })

  t.test('CodeSystem/$lookup and $subsumes on a local hierarchy', async (t) => {
    const lookup = await get(hub, `CodeSystem/$lookup?system=${encodeURIComponent(RR)}&code=under-18`)
    t.equal(lookup.status, 200)
    t.equal(out(lookup.body, 'display').valueString, 'Under 18 years of age')
    const cases: [string, string, string][] = [
      ['not-eligible', 'under-18', 'subsumes'],
      ['under-18', 'not-eligible', 'subsumed-by'],
      ['under-18', 'under-18', 'equivalent'],
      ['under-18', 'duplicate', 'not-subsumed'],
    ]
    for (const [a, b, outcome] of cases) {
      const res = await get(hub, `CodeSystem/$subsumes?system=${encodeURIComponent(RR)}&codeA=${a}&codeB=${b}`)
      t.equal(out(res.body, 'outcome').valueCode, outcome, `${a} vs ${b}`)
    }
  })

  t.test('errors are 4xx OperationOutcomes naming the parameter', async (t) => {
    const unknown = await get(hub, `ValueSet/$expand?url=${encodeURIComponent('https://example.org/none')}`)
    t.equal(unknown.status, 404)
    t.equal(unknown.body.resourceType, 'OperationOutcome')
    const badCount = await get(hub, `ValueSet/$expand?url=${encodeURIComponent(HF)}&count=many`)
    t.equal(badCount.status, 400)
    t.same(badCount.body.issue[0].expression, ['count'])
    const wrongType = await get(hub, 'Patient/$expand')
    t.equal(wrongType.status, 404)
  })

  t.test('the CapabilityStatement lists the operations', async (t) => {
    const cs: any = (await get(hub, 'metadata')).body
    const vs = cs.rest[0].resource.find((r: any) => r.type === 'ValueSet')
    t.same(vs.operation.map((o: any) => o.name).sort(), ['expand', 'meta', 'meta-add', 'meta-delete', 'validate', 'validate-code'])
    const code = cs.rest[0].resource.find((r: any) => r.type === 'CodeSystem')
    t.same(code.operation.map((o: any) => o.name).sort(), ['lookup', 'meta', 'meta-add', 'meta-delete', 'subsumes', 'validate', 'validate-code'])
    const map = cs.rest[0].resource.find((r: any) => r.type === 'ConceptMap')
    t.match(map.operation.find((o: any) => o.name === 'translate'), { definition: 'http://hl7.org/fhir/OperationDefinition/ConceptMap-translate' })
  })

  t.test('metadata?mode=terminology is a TerminologyCapabilities naming the code systems held here (http.html#capabilities)', async (t) => {
    const { status, body } = await get(hub, 'metadata?mode=terminology')
    t.equal(status, 200)
    t.equal(body.resourceType, 'TerminologyCapabilities')
    t.same(checkResource(body).filter((i) => i.severity === 'error'), [], 'a valid R4 TerminologyCapabilities')
    const tier = body.codeSystem.find((c: any) => c.uri === 'https://casehub.org/fhir/CodeSystem/risk-tier')
    t.same(tier?.version, [{ code: '0.1.0' }])
    t.ok(body.expansion.paging, '$expand pages by offset and count')
    t.equal((await get(hub, 'metadata?mode=normative')).body.resourceType, 'CapabilityStatement')
    const bad = await get(hub, 'metadata?mode=everything')
    t.equal(bad.status, 400)
    t.same(bad.body.issue[0].expression, ['mode'])
  })

  t.test('ConceptMap/$translate with CaseHub\'s routing map (conceptmap-operation-translate.html)', async (t) => {
    const MAP = 'https://casehub.org/fhir/ConceptMap/onward-referral-routing'
    const SCT = 'http://snomed.info/sct'
    const TYPES = 'https://casehub.org/fhir/CodeSystem/service-type'
    const matches = (body: any) => body.parameter.filter((p: any) => p.name === 'match').map((m: any) => Object.fromEntries(m.part.map((x: any) => [x.name, x.valueCode ?? x.valueCoding ?? x.valueUri])))
    const byUrl = await get(hub, `ConceptMap/$translate?url=${encodeURIComponent(MAP)}&system=${encodeURIComponent(SCT)}&code=871731000000106`)
    t.equal(byUrl.status, 200)
    t.equal(out(byUrl.body, 'result').valueBoolean, true)
    t.same(matches(byUrl.body), [{ equivalence: 'relatedto', concept: { system: TYPES, code: 'social-prescribing', display: 'Social prescribing service' }, source: MAP }])
    const found = await get(hub, `ConceptMap/$translate?system=${encodeURIComponent(SCT)}&code=871731000000106`)
    t.same(matches(found.body).map((m: any) => m.concept.code), ['social-prescribing'], 'the map found by its source system')
    const instance = await post(hub, 'ConceptMap/onward-referral-routing/$translate', { resourceType: 'Parameters', parameter: [{ name: 'coding', valueCoding: { system: SCT, code: '390893007' } }] })
    t.same(matches(instance.body).map((m: any) => m.concept.code), ['social-prescribing'], 'instance level, POST with a coding')
    const reverse = await get(hub, `ConceptMap/$translate?url=${encodeURIComponent(MAP)}&system=${encodeURIComponent(TYPES)}&code=social-prescribing&reverse=true`)
    const sources = matches(reverse.body).map((m: any) => m.concept.code)
    t.ok(sources.includes('871731000000106') && sources.includes('390893007'), `reverse: the SNOMED codes that map to it (${sources.join(', ')})`)
    t.ok(matches(reverse.body).every((m: any) => m.concept.system === SCT))
    const none = await get(hub, `ConceptMap/$translate?url=${encodeURIComponent(MAP)}&system=${encodeURIComponent(SCT)}&code=73211009`)
    t.equal(out(none.body, 'result').valueBoolean, false)
    t.match(out(none.body, 'message').valueString, /No mapping for http:\/\/snomed.info\/sct\|73211009/)
    const elsewhere = await get(hub, `ConceptMap/$translate?url=${encodeURIComponent(MAP)}&system=${encodeURIComponent(SCT)}&code=871731000000106&targetsystem=http://example.org/other`)
    t.equal(out(elsewhere.body, 'result').valueBoolean, false, 'targetsystem narrows the groups')
    const noSystem = await get(hub, 'ConceptMap/$translate?code=871731000000106')
    t.equal(noSystem.status, 400)
    t.same(noSystem.body.issue[0].expression, ['system'])
    t.equal((await get(hub, `ConceptMap/$translate?url=http://example.org/nope&system=${encodeURIComponent(SCT)}&code=1`)).status, 404)
  })
})
