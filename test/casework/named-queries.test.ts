// Named queries (search.html#query, operationdefinition.html kind = query): CaseHub's
// Patient?_query=current-high-risk and Patient?_query=caseload, run by the search interaction,
// combined with ordinary search parameters, defined by readable OperationDefinitions.
import t from 'tap'
import type { Resource } from '@medplum/fhirtypes'
import { startTestServer } from '../helpers/test-server.js'
import { entriesOf, matchIds, putAll, runTable, searchBundle, type Row } from '../fhir/search/helpers.js'

const TIER = 'https://casehub.org/fhir/CodeSystem/risk-tier'
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString()
const patient = (id: string, extra: object = {}) => ({ resourceType: 'Patient', id, name: [{ family: `Nq${id}` }], ...extra })
const assessment = (id: string, subject: string, risk: { system: string; code: string }, at: string, status = 'final') => ({
  resourceType: 'RiskAssessment', id, status, subject: { reference: `Patient/${subject}` }, occurrenceDateTime: at,
  prediction: [{ qualitativeRisk: { coding: [risk] } }],
})
const episode = (id: string, subject: string, status: string, org: string, manager?: string) => ({
  resourceType: 'EpisodeOfCare', id, status, patient: { reference: `Patient/${subject}` }, managingOrganization: { reference: `Organization/${org}` },
  ...(manager ? { careManager: { reference: `Practitioner/${manager}` } } : {}),
})

const fixtures = [
  { resourceType: 'Organization', id: 'nq-gp', name: 'Practice' },
  { resourceType: 'Organization', id: 'nq-team1', name: 'Team 1' },
  { resourceType: 'Organization', id: 'nq-team2', name: 'Team 2' },
  { resourceType: 'Practitioner', id: 'nq-nurse' },
  patient('nq-recent-severe', { generalPractitioner: [{ reference: 'Organization/nq-gp' }], birthDate: '1950-03-01' }),
  patient('nq-old-severe'),
  patient('nq-moderate'),
  patient('nq-high', { birthDate: '1980-01-01' }),
  patient('nq-preliminary'),
  patient('nq-none'),
  assessment('nq-ra1', 'nq-recent-severe', { system: TIER, code: 'severe' }, daysAgo(30)),
  assessment('nq-ra2', 'nq-old-severe', { system: TIER, code: 'severe' }, daysAgo(150)),
  assessment('nq-ra3', 'nq-moderate', { system: TIER, code: 'moderate' }, daysAgo(10)),
  assessment('nq-ra4', 'nq-high', { system: 'http://terminology.hl7.org/CodeSystem/risk-probability', code: 'high' }, daysAgo(5), 'amended'),
  assessment('nq-ra5', 'nq-preliminary', { system: TIER, code: 'severe' }, daysAgo(5), 'preliminary'),
  patient('nq-a', { managingOrganization: { reference: 'Organization/nq-gp' } }), patient('nq-b'), patient('nq-c'), patient('nq-d'),
  episode('nq-e1', 'nq-a', 'active', 'nq-team1', 'nq-nurse'),
  episode('nq-e2', 'nq-b', 'onhold', 'nq-team2'),
  episode('nq-e3', 'nq-c', 'finished', 'nq-team1'),
  // nq-d: active with team 2, finished with team 1 — on team 2's caseload only
  episode('nq-e4', 'nq-d', 'active', 'nq-team2', 'nq-nurse'),
  episode('nq-e5', 'nq-d', 'finished', 'nq-team1'),
] as Resource[]

const sixMonthsAgo = daysAgo(183).slice(0, 10)
const rows: Row[] = [
  { name: 'severe or high, assessed in the last 3 months', query: 'Patient?_query=current-high-risk', expect: ['nq-recent-severe', 'nq-high'] },
  { name: 'assessed-since reaches further back', query: `Patient?_query=current-high-risk&assessed-since=${sixMonthsAgo}`, expect: ['nq-recent-severe', 'nq-old-severe', 'nq-high'] },
  { name: 'with a standard parameter', query: 'Patient?_query=current-high-risk&general-practitioner=Organization/nq-gp', expect: ['nq-recent-severe'] },
  { name: 'standard parameters first', query: 'Patient?birthdate=ge1970-01-01&_query=current-high-risk', expect: ['nq-high'] },
  { name: 'the caseload: active or on hold', query: 'Patient?_query=caseload', expect: ['nq-a', 'nq-b', 'nq-d'] },
  { name: 'one team’s caseload, matched on the same episode', query: 'Patient?_query=caseload&team=Organization/nq-team1', expect: ['nq-a'] },
  { name: 'team and care manager on one episode', query: 'Patient?_query=caseload&team=nq-team2&care-manager=Practitioner/nq-nurse', expect: ['nq-d'] },
  { name: 'Patient’s own organization parameter still applies', query: 'Patient?_query=caseload&organization=nq-gp', expect: ['nq-a'] },
  { name: 'sorted by an ordinary _sort', query: 'Patient?_query=caseload&_sort=-family', expect: ['nq-d', 'nq-b', 'nq-a'], ordered: true },
  // the same criteria as separate _has parameters may be met by different episodes
  { name: 'unlike separate _has parameters', query: 'Patient?_has:EpisodeOfCare:patient:status=active&_has:EpisodeOfCare:patient:organization=nq-team1', expect: ['nq-a', 'nq-d'] },
]

t.test('named queries (search.html#query)', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, fixtures)
  await runTable(t, hub, 'query', rows)

  t.test('pages of a named query keep _query and its parameters in their links', async (t) => {
    const seen: string[] = []
    let next: string | undefined = `${hub.url}/Patient?_query=caseload&team=nq-team1,nq-team2&_count=1`
    for (let pages = 0; next && pages < 10; pages++) {
      const bundle: any = await (await fetch(next)).json()
      seen.push(...entriesOf(bundle, 'match').map((e: any) => e.resource.id))
      next = bundle.link.find((l: any) => l.relation === 'next')?.url
      if (next) t.match(next, /_query=caseload.*team=nq-team1%2Cnq-team2/, 'the next link is the same named query')
    }
    t.same(seen.sort(), ['nq-a', 'nq-b', 'nq-d'])
  })

  t.test('bad use is a 400 OperationOutcome naming the parameter', async (t) => {
    const cases: [string, string][] = [
      ['Patient?_query=no-such-query', '_query'],
      ['Observation?_query=caseload', '_query'],
      ['Patient?_query=caseload&_query=current-high-risk', '_query'],
      ['Patient?_query=current-high-risk&assessed-since=last-week', 'assessed-since'],
      ['Patient?_query=caseload&team=nq-team1&team=nq-team2', 'team'],
    ]
    for (const [query, where] of cases) {
      const { status, body } = await searchBundle(hub, query)
      t.equal(status, 400, query)
      t.equal(body.resourceType, 'OperationOutcome')
      t.same(body.issue[0].expression, [where], `${query} names ${where}`)
    }
    t.match((await searchBundle(hub, 'Patient?_query=nope')).body.issue[0].diagnostics, /known: current-high-risk, caseload/)
  })

  t.test('a named query is not an operation: POST Patient/$caseload is a 400', async (t) => {
    const res = await hub.fetch('Patient/$caseload', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: '{"resourceType":"Parameters"}' })
    t.equal(res.status, 400)
    t.match((await res.json()).issue[0].diagnostics, /_query=caseload/)
  })

  t.test('the OperationDefinitions can be read, and the CapabilityStatement lists them', async (t) => {
    for (const code of ['current-high-risk', 'caseload']) {
      const def: any = await (await hub.fetch(`OperationDefinition/${code}`)).json()
      t.match(def, { resourceType: 'OperationDefinition', kind: 'query', code, resource: ['Patient'], type: true, instance: false })
    }
    const cs: any = await (await hub.fetch('metadata')).json()
    const patientResource = cs.rest[0].resource.find((r: any) => r.type === 'Patient')
    t.same(patientResource.operation.filter((o: any) => !o.name.startsWith('$') && ['caseload', 'current-high-risk'].includes(o.name)).map((o: any) => o.definition).sort(), [
      'https://casehub.org/fhir/OperationDefinition/caseload',
      'https://casehub.org/fhir/OperationDefinition/current-high-risk',
    ])
    t.ok(patientResource.searchParam.some((p: any) => p.name === '_query'), '_query is a Patient search parameter')
    t.notOk(cs.rest[0].resource.find((r: any) => r.type === 'Observation').searchParam.some((p: any) => p.name === '_query'))
  })

  t.test('a named query under Prefer: handling=strict is not an unknown parameter', async (t) => {
    const ids = await matchIds(hub, 'Patient?_query=caseload&team=nq-team2', false, { headers: { prefer: 'handling=strict' } })
    t.same(ids.sort(), ['nq-b', 'nq-d'])
  })
})
