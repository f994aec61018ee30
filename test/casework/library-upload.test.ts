// A Library with CQL written through the API is compiled first: CQL that does not compile is
// refused with 422 naming line and column, and nothing is stored (issue: rules as data).
import t from 'tap'
import { startTestServer, type TestServer } from '../helpers/test-server.js'

const cqlLibrary = (cql: string, version = '1.0.0') => ({
  resourceType: 'Library',
  url: 'https://example.org/fhir/Library/SiteRules',
  version,
  status: 'active',
  type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/library-type', code: 'logic-library' }] },
  content: [{ contentType: 'text/cql', data: Buffer.from(cql, 'utf8').toString('base64') }],
})

async function post(hub: TestServer, body: object) {
  const res = await hub.fetch('Library', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as any }
}

t.test('Library upload', async (t) => {
  const hub = await startTestServer(t)

  t.test('CQL with a syntax error: 422 with line and column, nothing stored', async (t) => {
    const before = await hub.rows()
    const res = await post(hub, cqlLibrary("library SiteRules version '1.0.0'\n\ndefine \"Broken\":\n  1 +\n"))
    t.equal(res.status, 422)
    t.equal(res.body.resourceType, 'OperationOutcome')
    t.match(res.body.issue[0].diagnostics, /line \d+, column \d+/)
    t.same(res.body.issue[0].expression, ['Library.content[0].data'])
    t.equal(await hub.rows(), before)
  })

  t.test('a CQL version that differs from Library.version is refused', async (t) => {
    const res = await post(hub, cqlLibrary("library SiteRules version '2.0.0'\ndefine \"A\": 1", '1.0.0'))
    t.equal(res.status, 422)
    t.match(res.body.issue[0].diagnostics, /version/)
  })

  t.test('CQL that compiles, including a CaseHub library, is stored', async (t) => {
    const cql = [
      "library SiteRules version '1.0.0'",
      "using FHIR version '4.0.1'",
      "include FHIRHelpers version '4.0.1' called FHIRHelpers",
      "include CaseHubCommon called Common",
      'context Patient',
      'define "Adult": AgeInYears() >= 18',
    ].join('\n')
    const res = await post(hub, cqlLibrary(cql))
    t.equal(res.status, 201, JSON.stringify(res.body.issue ?? ''))
  })

  t.test('a Library without CQL content is stored as it is', async (t) => {
    const { content: _c, ...noCql } = cqlLibrary('')
    const res = await post(hub, { ...noCql, url: 'https://example.org/fhir/Library/Doc', content: [{ contentType: 'text/plain', data: 'aGk=' }] })
    t.equal(res.status, 201)
  })
})
