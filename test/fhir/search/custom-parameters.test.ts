// CaseHub's own SearchParameters: loaded from profiles/search-parameters, added through the
// API (search.html#custom — a SearchParameter resource defines a new parameter), listed in the
// CapabilityStatement, refused (422) when they cannot apply.
import t from 'tap'
import { startTestServer } from '../../helpers/test-server.js'

const TIER = 'https://casehub.org/fhir/CodeSystem/risk-tier'

t.test('CaseHub search parameters', async (t) => {
  const hub = await startTestServer(t)
  const post = async (type: string, body: object) => {
    const res = await hub.fetch(type, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: type, ...body }),
    })
    return { status: res.status, body: (await res.json()) as any }
  }
  const ids = async (query: string) => {
    const res = await hub.fetch(query)
    t.equal(res.status, 200, query)
    const bundle: any = await res.json()
    return (bundle.entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id).sort()
  }

  t.test('profiles/search-parameters: Task?triage-tier and CarePlan?total-cost', async (t) => {
    const severe = await post('Task', { status: 'requested', intent: 'order', businessStatus: { coding: [{ system: TIER, code: 'severe' }] } })
    const mild = await post('Task', { status: 'requested', intent: 'order', businessStatus: { coding: [{ system: TIER, code: 'mild' }] } })
    t.same(await ids(`Task?triage-tier=${encodeURIComponent(`${TIER}|severe`)}`), [severe.body.id])
    t.same(await ids('Task?triage-tier=mild,severe'), [severe.body.id, mild.body.id].sort())
    const costly = await post('CarePlan', {
      status: 'active',
      intent: 'plan',
      subject: { reference: 'Patient/p1' },
      extension: [{ url: 'https://casehub.org/fhir/StructureDefinition/casehub-total-cost', valueMoney: { value: 820, currency: 'GBP' } }],
    })
    await post('CarePlan', {
      status: 'active',
      intent: 'plan',
      subject: { reference: 'Patient/p1' },
      extension: [{ url: 'https://casehub.org/fhir/StructureDefinition/casehub-total-cost', valueMoney: { value: 90, currency: 'GBP' } }],
    })
    t.same(await ids(`CarePlan?total-cost=${encodeURIComponent('gt500|urn:iso:std:iso:4217|GBP')}`), [costly.body.id])
  })

  t.test('the CapabilityStatement lists them with their canonical URLs', async (t) => {
    const cs: any = await (await hub.fetch('metadata')).json()
    const task = cs.rest[0].resource.find((r: any) => r.type === 'Task')
    const tier = task.searchParam.find((p: any) => p.name === 'triage-tier')
    t.equal(tier?.definition, 'https://casehub.org/fhir/SearchParameter/Task-triage-tier')
    t.equal(tier?.type, 'token')
    t.ok(task.searchParam.find((p: any) => p.name === 'business-status'), 'R4 parameters are listed too')
  })

  t.test('a SearchParameter created through the API applies to resources written after it', async (t) => {
    const before = await post('Patient', { maritalStatus: { coding: [{ code: 'M' }] } })
    const sp = await post('SearchParameter', {
      url: 'https://casehub.org/fhir/SearchParameter/Patient-marital-status',
      name: 'PatientMaritalStatus',
      status: 'active',
      description: 'Marital status',
      code: 'marital-status',
      base: ['Patient'],
      type: 'token',
      expression: 'Patient.maritalStatus',
    })
    t.equal(sp.status, 201)
    const after = await post('Patient', { maritalStatus: { coding: [{ code: 'M' }] } })
    const found = await ids('Patient?marital-status=M')
    t.ok(found.includes(after.body.id), 'a resource written after the SearchParameter is found')
    t.notOk(found.includes(before.body.id), 'older resources need `casehub reindex`')
    const strict = await hub.fetch('Patient?marital-status=M', { headers: { prefer: 'handling=strict' } })
    t.equal(strict.status, 200, 'the new parameter is known, even under handling=strict')
  })

  t.test('SearchParameters that cannot apply are 422 and not stored', async (t) => {
    const rows = await hub.rows()
    const cases: [string, object, RegExp][] = [
      ['redefines an R4 code', { code: 'family', base: ['Patient'], type: 'string', expression: 'Patient.name.given' }, /already has the R4 search parameter/],
      ['expression is not FHIRPath', { code: 'broken', base: ['Patient'], type: 'string', expression: 'Patient.name.(' }, /not valid FHIRPath/],
      ['unknown base', { code: 'thing', base: ['Nonsense'], type: 'token', expression: 'Nonsense.code' }, /unknown resource types/],
    ]
    for (const [name, body, message] of cases) {
      const res = await post('SearchParameter', { url: `https://example.org/sp/${name.replace(/\W/g, '-')}`, name: 'x', status: 'active', description: name, ...body })
      t.equal(res.status, 422, name)
      t.match(res.body.issue[0].diagnostics, message, name)
    }
    t.equal(await hub.rows(), rows, 'nothing was written')
  })
})
