// Patient/[id]/$eligibility over HTTP (fhir-kit-client) against a real server and PostgreSQL:
// the scenario table loaded with transactions, referral handling and errors, and the time per
// patient including the data fetch (reported, not asserted).
import t from 'tap'
import type { Parameters, Resource } from '@medplum/fhirtypes'
import { callOperation, startTestServer, type TestServer } from '../helpers/test-server.js'
import { Population } from '../../src/generate/index.js'
import { SCENARIOS, condition, encounter } from '../rules/eligibility-scenarios.js'

// fhir-kit-client types its bodies loosely; the Bundle is built with @medplum/fhirtypes
const transaction = (resources: Resource[]): any => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
})

const part = (p: any, name: string) => p.part?.find((x: any) => x.name === name)
const route = (out: Parameters) => out.parameter?.find((p) => p.name === 'route')?.valueCode
const metOf = (out: Parameters) =>
  Object.fromEntries(
    (out.parameter ?? []).filter((p) => p.name === 'criterion').map((p) => [part(p, 'name').valueString, part(p, 'met')?.valueBoolean ?? null]),
  )

const call = callOperation

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]

t.test('$eligibility', async (t) => {
  const hub = await startTestServer(t)
  const withReferral = SCENARIOS.filter((s) => s.referral)
  const orgs = new Map(SCENARIOS.flatMap((s) => s.resources.filter((r) => r.resourceType === 'Organization')).map((r) => [r.id, r]))
  await hub.client.transaction({ body: transaction([...orgs.values()]) })
  for (const s of withReferral) await hub.client.transaction({ body: transaction(s.resources.filter((r) => r.resourceType !== 'Organization')) })

  t.test('the scenario table, as Parameters with a route and every criterion', async (t) => {
    for (const [i, s] of withReferral.entries()) {
      const patientId = s.resources[0].id!
      // Half by POST with a Reference parameter, half by GET ?referral=
      const out = (i % 2 === 0
        ? await hub.client.operation({ name: 'eligibility', resourceType: 'Patient', id: patientId, input: { resourceType: 'Parameters', parameter: [{ name: 'referral', valueReference: { reference: `ServiceRequest/${s.referral!.id}` } }] } })
        : await hub.client.operation({ name: 'eligibility', resourceType: 'Patient', id: patientId, method: 'GET', input: { referral: `ServiceRequest/${s.referral!.id}` } })) as Parameters
      t.equal(out.resourceType, 'Parameters')
      t.equal(route(out), s.route, `${s.id} ${s.name}: route`)
      t.equal(out.parameter?.find((p) => p.name === 'eligible')?.valueBoolean, s.route === 'case-management', `${s.id}: eligible`)
      const met = metOf(out)
      t.equal(Object.keys(met).length, 10, `${s.id}: ten criteria`)
      for (const [name, expected] of Object.entries(s.met)) t.equal(met[name], expected, `${s.id}: ${name}`)
    }
  })

  t.test('a criterion the record cannot tell has no met part; kinds are given', async (t) => {
    const out = (await hub.client.operation({ name: 'eligibility', resourceType: 'Patient', id: 'elig-05', method: 'GET', input: { referral: 'ServiceRequest/elig-05-sr' } })) as Parameters
    const adult = out.parameter?.find((p) => p.name === 'criterion' && part(p, 'name').valueString === 'Adult')
    t.equal(part(adult, 'kind').valueCode, 'inclusion')
    t.notOk(part(adult, 'met'), 'no met when unknown')
    t.equal(route(out), 'data-required')
  })

  t.test('without a referral, the patient is assessed now', async (t) => {
    const pid = 'elig-now'
    const recent = new Date(Date.now() - 30 * 86_400_000).toISOString()
    const longAgo = new Date(Date.now() - 400 * 86_400_000).toISOString()
    const base = SCENARIOS[0].resources.filter((r) => r.resourceType === 'Patient').map((r) => ({ ...r, id: pid }))
    await hub.client.transaction({ body: transaction([...base, condition(pid, 'hf', '84114007'), encounter(pid, 'old', 'EMER', longAgo)]) })
    t.equal(route((await hub.client.operation({ name: 'eligibility', resourceType: 'Patient', id: pid, method: 'GET' })) as Parameters), 'not-eligible', 'A&E 400 days ago')
    await hub.client.transaction({ body: transaction([encounter(pid, 'new', 'EMER', recent)]) })
    t.equal(route((await hub.client.operation({ name: 'eligibility', resourceType: 'Patient', id: pid, method: 'GET' })) as Parameters), 'case-management', 'A&E 30 days ago')
  })

  t.test('errors', async (t) => {
    const unknown = await call(hub, 'Patient/nobody/$eligibility')
    t.equal(unknown.status, 404)
    t.equal(unknown.body.resourceType, 'OperationOutcome')

    const other = await call(hub, 'Patient/elig-01/$eligibility', { resourceType: 'Parameters', parameter: [{ name: 'referral', valueReference: { reference: 'ServiceRequest/elig-02-sr' } }] })
    t.equal(other.status, 422, 'a referral for another patient')
    t.same(other.body.issue[0].expression, ['referral'])
    t.match(other.body.issue[0].diagnostics, /not for Patient\/elig-01/)

    const missing = await call(hub, 'Patient/elig-01/$eligibility?referral=ServiceRequest/nope')
    t.equal(missing.status, 422, 'an unknown referral')
    t.same(missing.body.issue[0].expression, ['referral'])

    const wrongType = await call(hub, 'Patient/elig-01/$eligibility?referral=Task/elig-01')
    t.equal(wrongType.status, 400, 'not a ServiceRequest')
    t.same(wrongType.body.issue[0].expression, ['referral'])

    const typeLevel = await call(hub, 'Patient/$eligibility')
    t.equal(typeLevel.status, 404, 'instance level only')
  })

  t.test('time per patient on generated records, including the data fetch', async (t) => {
    const population = new Population('eligibility-timing')
    const patients: { id: string; referral?: string }[] = []
    await hub.client.transaction({ body: transaction(population.organizations()) })
    for (let i = 0; i < 60; i++) {
      const resources = population.next()
      await hub.client.transaction({ body: transaction(resources) })
      const referral = resources.find((r) => r.resourceType === 'ServiceRequest' && (r as any).performer?.[0]?.reference === 'Organization/cmt-trafford')
      patients.push({ id: resources[0].id!, referral: referral?.id })
    }
    const ms: number[] = []
    const routes: Record<string, number> = {}
    for (const p of patients) {
      const started = performance.now()
      const out = (await hub.client.operation({
        name: 'eligibility', resourceType: 'Patient', id: p.id, method: 'GET', input: p.referral ? { referral: `ServiceRequest/${p.referral}` } : undefined,
      })) as Parameters
      ms.push(performance.now() - started)
      routes[route(out)!] = (routes[route(out)!] ?? 0) + 1
    }
    const warm = ms.slice(5).sort((a, b) => a - b)
    t.comment(`$eligibility over HTTP, ${warm.length} generated patients (after 5 warm-up): p50 ${percentile(warm, 50).toFixed(1)} ms, p99 ${percentile(warm, 99).toFixed(1)} ms, max ${warm.at(-1)!.toFixed(1)} ms; routes ${JSON.stringify(routes)}`)
    t.equal(Object.values(routes).reduce((a, b) => a + b, 0), patients.length)
  })
})
