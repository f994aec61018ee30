// CaseHub's own profiles on the write path (profiling.html#profile-use): the examples in
// profiles/examples are accepted through the API, and a resource that breaks its claimed profile
// is refused with 422, its location, and nothing stored — alone or inside a transaction.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestServer, type TestServer } from '../../helpers/test-server.js'

const EXAMPLES = fileURLToPath(new URL('../../../profiles/examples/', import.meta.url))
const example = (id: string) => JSON.parse(readFileSync(join(EXAMPLES, `casehub-${id}-example.json`), 'utf8'))

async function send(hub: TestServer, method: string, path: string, body: object) {
  const res = await hub.fetch(path, { method, headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as any }
}

const located = (outcome: any, expression: string) => outcome.issue.some((i: any) => i.severity === 'error' && i.expression?.includes(expression))

t.test('CaseHub profiles on write', async (t) => {
  // Unknown profiles are errors here, so an example only passes if its profile was found and used.
  const hub = await startTestServer(t, { CASEHUB_UNKNOWN_PROFILE: 'error' })

  t.test('every example in profiles/examples is accepted (PUT with its id)', async (t) => {
    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))) {
      const resource = JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8'))
      const res = await send(hub, 'PUT', `${resource.resourceType}/${resource.id}`, resource)
      t.equal(res.status, 201, `${file}: ${JSON.stringify(res.body.issue ?? '')}`)
    }
  })

  const broken: { name: string; type: string; resource: any; expression: string }[] = [
    { name: 'a referral whose intent is not order (fixed value)', type: 'ServiceRequest', resource: { ...example('referral'), id: undefined, intent: 'plan' }, expression: 'ServiceRequest.intent' },
    { name: 'a referral without a requester (1..1)', type: 'ServiceRequest', resource: { ...example('referral'), id: undefined, requester: undefined }, expression: 'ServiceRequest.requester' },
    {
      name: 'a risk assessment whose tier is not a CaseHub risk tier (required binding)',
      type: 'RiskAssessment',
      resource: { ...example('risk-assessment'), id: undefined, prediction: [{ ...example('risk-assessment').prediction[0], qualitativeRisk: { coding: [{ system: 'https://casehub.org/fhir/CodeSystem/risk-tier', code: 'extreme' }] } }] },
      expression: 'RiskAssessment.prediction[0].qualitativeRisk',
    },
    {
      name: 'a patient whose NHS number fails the modulus-11 check',
      type: 'Patient',
      resource: { ...example('patient'), id: undefined, identifier: [{ ...example('patient').identifier[0], value: '9996270476' }] },
      expression: 'Patient.identifier[0]',
    },
    { name: 'a care plan longer than 3 months', type: 'CarePlan', resource: { ...example('careplan'), id: undefined, period: { start: '2025-01-20', end: '2025-06-30' } }, expression: 'CarePlan.period' },
  ]
  for (const c of broken) {
    t.test(`422 for ${c.name}, nothing stored`, async (t) => {
      const before = await hub.rows()
      const res = await send(hub, 'POST', c.type, JSON.parse(JSON.stringify(c.resource)))
      t.equal(res.status, 422)
      t.ok(res.body.issue.some((i: any) => i.severity === 'error' && i.expression?.some((e: string) => e.startsWith(c.expression))), JSON.stringify(res.body.issue))
      t.equal(await hub.rows(), before)
    })
  }

  t.test('in a transaction the referral Bundle is refused whole, at the entry', async (t) => {
    const before = await hub.rows()
    const patient = { ...example('patient'), id: undefined }
    const referral = { ...example('referral'), id: undefined, intent: 'proposal', subject: { reference: 'urn:uuid:5b1e1f3e-1111-4b8e-9d1c-000000000001' } }
    const res = await send(hub, 'POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:5b1e1f3e-1111-4b8e-9d1c-000000000001', resource: patient, request: { method: 'POST', url: 'Patient' } },
        { resource: referral, request: { method: 'POST', url: 'ServiceRequest' } },
      ],
    })
    t.equal(res.status, 422)
    t.ok(located(res.body, 'Bundle.entry[1].resource.intent'), JSON.stringify(res.body.issue))
    t.equal(await hub.rows(), before)
  })

  t.test('$validate against a named CaseHub profile', async (t) => {
    const task = { ...example('task'), meta: undefined, owner: undefined }
    const res = await send(hub, 'POST', `Task/$validate?profile=${encodeURIComponent('https://casehub.org/fhir/StructureDefinition/casehub-task')}`, task)
    t.equal(res.status, 200)
    t.ok(located(res.body, 'Task.owner'), JSON.stringify(res.body.issue))
  })

  t.test('the profiles are served, with snapshots, and named in the CapabilityStatement', async (t) => {
    const sd: any = await (await hub.fetch('StructureDefinition/casehub-referral')).json()
    t.equal(sd.url, 'https://casehub.org/fhir/StructureDefinition/casehub-referral')
    t.ok(sd.snapshot.element.length > sd.differential.element.length)
    const cs: any = await (await hub.fetch('metadata')).json()
    const sr = cs.rest[0].resource.find((r: any) => r.type === 'ServiceRequest')
    t.ok(sr.supportedProfile.includes('https://casehub.org/fhir/StructureDefinition/casehub-referral|0.1.0'))
    t.ok(sr.supportedProfile.includes('https://casehub.org/fhir/StructureDefinition/casehub-onward-referral|0.1.0'))
  })
})
