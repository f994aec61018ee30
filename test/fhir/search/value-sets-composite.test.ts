// token :in / :not-in against ValueSets this server holds (search.html#modifiers) and composite
// parameters (search.html#composite).
import t from 'tap'
import { startTestServer } from '../../helpers/test-server.js'

const LOINC = 'http://loinc.org'
const UCUM = 'http://unitsofmeasure.org'

t.test('ValueSets and composites', async (t) => {
  const hub = await startTestServer(t)
  const create = async (type: string, body: object) => ((await hub.client.create({ resourceType: type, body: { resourceType: type, ...body } })) as any).id as string
  const ids = async (query: string) => {
    const res = await hub.fetch(query)
    const bundle: any = await res.json()
    t.equal(res.status, 200, `${query}: ${JSON.stringify(bundle).slice(0, 200)}`)
    return (bundle.entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id).sort()
  }
  const obs = (code: string, value?: number, components?: [string, number][]) =>
    create('Observation', {
      status: 'final',
      code: { coding: [{ system: LOINC, code }] },
      ...(value !== undefined ? { valueQuantity: { value, system: UCUM, code: 'cm' } } : {}),
      ...(components
        ? { component: components.map(([c, v]) => ({ code: { coding: [{ system: LOINC, code: c }] }, valueQuantity: { value: v, system: UCUM, code: 'mm[Hg]' } })) }
        : {}),
    })
  const height180 = await obs('8302-2', 180)
  const height150 = await obs('8302-2', 150)
  const weight = await obs('29463-7', 80)
  const bpHigh = await obs('85354-9', undefined, [['8480-6', 150], ['8462-4', 80]])
  const bpMixed = await obs('85354-9', undefined, [['8480-6', 110], ['8462-4', 95]])
  await create('ValueSet', {
    url: 'https://example.org/ValueSet/body-size',
    status: 'active',
    compose: { include: [{ system: LOINC, concept: [{ code: '8302-2' }, { code: '29463-7' }] }] },
  })
  await create('ValueSet', {
    url: 'https://example.org/ValueSet/nested',
    status: 'active',
    compose: { include: [{ valueSet: ['https://example.org/ValueSet/body-size'] }] },
  })

  t.test(':in and :not-in', async (t) => {
    t.same(await ids('Observation?code:in=https://example.org/ValueSet/body-size'), [height180, height150, weight].sort())
    t.same(await ids('Observation?code:in=https://example.org/ValueSet/nested'), [height180, height150, weight].sort(), 'included value sets')
    t.same(await ids('Observation?code:not-in=https://example.org/ValueSet/body-size'), [bpHigh, bpMixed].sort())
    const unknown = await hub.fetch('Observation?code:in=https://example.org/ValueSet/none')
    t.equal(unknown.status, 400)
    t.same(((await unknown.json()) as any).issue[0].expression, ['code:in'])
  })

  t.test(':in with CaseHub ValueSets (imports, filters over a local hierarchy, excludes; valueset.html#compose) and :below / :above (search.html#modifiers)', async (t) => {
    const SCT = 'http://snomed.info/sct'
    const RR = 'https://casehub.org/fhir/CodeSystem/referral-rejection-reason'
    const condition = (code: string) => create('Condition', { subject: { reference: 'Patient/p1' }, code: { coding: [{ system: SCT, code }] } })
    const heartFailure = await condition('84114007')
    const copd = await condition('13645005')
    const pregnancy = await condition('77386006')
    t.same(await ids('Condition?code:in=https://casehub.org/fhir/ValueSet/eligible-conditions'), [heartFailure, copd].sort(), 'eligible-conditions imports the condition groups')
    t.same(await ids('Condition?code:not-in=https://casehub.org/fhir/ValueSet/eligible-conditions'), [pregnancy])
    const task = (code: string) => create('Task', { status: 'rejected', intent: 'order', businessStatus: { coding: [{ system: RR, code }] } })
    const under18 = await task('under-18')
    const duplicate = await task('duplicate')
    await create('ValueSet', {
      url: 'https://example.org/ValueSet/criteria-not-met',
      status: 'active',
      compose: {
        include: [{ system: RR, filter: [{ property: 'concept', op: 'is-a', value: 'not-eligible' }] }],
        exclude: [{ system: RR, concept: [{ code: 'acutely-unwell' }] }],
      },
    })
    const acutely = await task('acutely-unwell')
    t.same(await ids('Task?_id=' + [under18, duplicate, acutely].join(',') + '&business-status:in=https://example.org/ValueSet/criteria-not-met'), [under18], 'is-a filter, minus the exclude')
    const notEligible = await task('not-eligible')
    const all = [under18, duplicate, acutely, notEligible].join(',')
    t.same(await ids(`Task?_id=${all}&business-status:below=${RR}|not-eligible`), [under18, acutely, notEligible].sort(), ':below = the code and its descendants')
    t.same(await ids(`Task?_id=${all}&business-status:above=${RR}|under-18`), [under18, notEligible].sort(), ':above = the code and its ancestors')
    const snomed = await hub.fetch(`Condition?code:below=${SCT}|84114007`)
    t.equal(snomed.status, 400, 'no SNOMED CT hierarchy here')
    t.same(((await snomed.json()) as any).issue[0].expression, ['code:below'])
    t.equal((await hub.fetch(`Task?business-status:below=${RR}|no-such-code`)).status, 400)

    // _filter's in, ni, ss and sb (search_filter.html#ops) mean :in, :not-in, :above and :below
    const filter = (f: string) => ids(`Task?_id=${all}&_filter=${encodeURIComponent(f)}`)
    const notMet = 'https://example.org/ValueSet/criteria-not-met'
    t.same(await filter(`business-status in ${notMet}`), [under18, notEligible].sort(), '_filter in (is-a includes the code itself)')
    t.same(await filter(`business-status ni ${notMet}`), [duplicate, acutely].sort(), '_filter ni')
    t.same(await filter(`business-status sb ${RR}|not-eligible`), [under18, acutely, notEligible].sort(), '_filter sb: subsumed by the code')
    t.same(await filter(`business-status ss ${RR}|under-18`), [under18, notEligible].sort(), '_filter ss: subsumes the code')
    t.same(await filter(`business-status sb ${RR}|not-eligible and not(business-status in ${notMet})`), [acutely], 'inside and / not(…)')
    t.same(await filter(`business-status eq ${RR}|duplicate or business-status ss ${RR}|under-18`), [duplicate, under18, notEligible].sort(), 'inside or')
    for (const [f, says] of [
      [`code sb ${SCT}|84114007`, /no CodeSystem http:\/\/snomed.info\/sct/],
      ['code in https://example.org/ValueSet/none', /Unknown ValueSet/],
    ] as const) {
      const res = await hub.fetch(`Condition?_filter=${encodeURIComponent(f)}`)
      t.equal(res.status, 400, f)
      const outcome = (await res.json()) as any
      t.same(outcome.issue[0].expression, ['_filter'], 'the error names _filter')
      t.match(outcome.issue[0].diagnostics, says)
    }
  })

  t.test('code-value-quantity: both components on the same Observation', async (t) => {
    t.same(await ids(`Observation?code-value-quantity=${encodeURIComponent(`${LOINC}|8302-2$gt170`)}`), [height180])
    t.same(await ids(`Observation?code-value-quantity=${encodeURIComponent('8302-2$lt170,29463-7$gt50')}`), [height150, weight].sort(), 'comma is OR')
    t.same(await ids(`Observation?code-value-quantity=${encodeURIComponent('29463-7$gt170')}`), [])
  })

  t.test('component-code-value-quantity matches within one component, not across components', async (t) => {
    t.same(await ids(`Observation?component-code-value-quantity=${encodeURIComponent('8480-6$gt140')}`), [bpHigh])
    // bpMixed has a systolic component (110) and a diastolic one (95): "systolic > 90" is true
    // only of the systolic value, so the diastolic 95 must not make it match "systolic > 120".
    t.same(await ids(`Observation?component-code-value-quantity=${encodeURIComponent('8480-6$gt120')}`), [bpHigh])
    t.same(await ids(`Observation?component-code-value-quantity=${encodeURIComponent('8462-4$gt90')}`), [bpMixed])
  })

  t.test('malformed composite values are 400', async (t) => {
    const res = await hub.fetch('Observation?code-value-quantity=8302-2')
    t.equal(res.status, 400)
    t.match(((await res.json()) as any).issue[0].diagnostics, /2 components separated by \$/)
  })
})
