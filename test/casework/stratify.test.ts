// $stratify over HTTP against a real server and PostgreSQL: a generated population stratified
// with the asynchronous request pattern (async.html), its tiers checked against a plain
// TypeScript recomputation of the RiskStratification score, idempotency per cycle, proposals
// only for adults at or above the tier who are not on the caseload, cancel, and bad input.
import t from 'tap'
import type { Condition, Encounter, Patient, Resource } from '@medplum/fhirtypes'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { Population } from '../../src/generate/index.js'
import { loadTerminologyDir } from '../../src/terminology/index.js'

const ASSESSED = '2025-10-15T12:00:00Z'
const PATIENTS = 160
const terminology = loadTerminologyDir()
const inSet = (vs: string) => {
  const set = terminology.conceptSet(terminology.valueSet(`https://casehub.org/fhir/ValueSet/${vs}`)!)
  return (cc?: { coding?: { system?: string; code?: string }[] }) => (cc?.coding ?? []).some((c) => set.has(c.system!, c.code!))
}
const GROUPS = ['heart-failure', 'copd', 'asthma', 'bronchiectasis', 'interstitial-lung-disease', 'diabetes'].map(inSet)
const EMERGENCY_ADMISSION = inSet('emergency-admission')
const GP = inSet('gp-consultation')
const NHS111 = inSet('nhs-111-service')

/** The RiskStratification score, computed without CQL (rules/RiskStratification.cql's table). */
function expected(resources: Resource[]) {
  const patient = resources[0] as Patient
  const at = new Date(ASSESSED)
  const from = new Date(at)
  from.setUTCFullYear(from.getUTCFullYear() - 1)
  const birth = new Date(`${patient.birthDate}T00:00:00Z`)
  let age = at.getUTCFullYear() - birth.getUTCFullYear()
  if (at.getUTCMonth() < birth.getUTCMonth() || (at.getUTCMonth() === birth.getUTCMonth() && at.getUTCDate() < birth.getUTCDate())) age--
  const recent = (resources.filter((r) => r.resourceType === 'Encounter') as Encounter[]).filter((e) => {
    const start = e.period?.start ? new Date(e.period.start) : undefined
    return start && start >= from && start <= at && !['planned', 'cancelled', 'entered-in-error'].includes(e.status)
  })
  const admissions = recent.filter((e) => (e.class.code === 'IMP' && e.priority?.coding?.some((c) => c.code === 'EM')) || (e.type ?? []).some(EMERGENCY_ADMISSION)).length
  const ae = recent.filter((e) => e.class.code === 'EMER').length
  const gp = recent.filter((e) => (e.type ?? []).some(GP)).length
  const nhs111 = recent.filter((e) => NHS111(e.serviceType)).length
  const active = (resources.filter((r) => r.resourceType === 'Condition') as Condition[]).filter((c) =>
    ['active', 'recurrence', 'relapse'].includes(c.clinicalStatus?.coding?.[0]?.code ?? '') && !['refuted', 'entered-in-error'].includes(c.verificationStatus?.coding?.[0]?.code ?? ''))
  const ltc = GROUPS.filter((inGroup) => active.some((c) => inGroup(c.code))).length
  const agePoints = age >= 85 ? 3 : age >= 75 ? 2 : age >= 65 ? 1 : 0
  const score = 3 * admissions + 2 * ae + nhs111 + Math.floor(gp / 4) + 2 * ltc + agePoints
  const tier = score >= 14 ? 'severe' : score >= 10 ? 'moderate' : score >= 6 ? 'mild' : 'below-threshold'
  return { score, tier, adult: age >= 18 }
}

const transaction = (resources: Resource[]) => ({
  resourceType: 'Bundle', type: 'transaction',
  entry: resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
})

async function post(hub: TestServer, path: string, body: object | undefined, headers: Record<string, string> = {}) {
  return hub.fetch(path, { method: 'POST', headers: { 'content-type': 'application/fhir+json', ...headers }, body: body ? JSON.stringify(body) : undefined })
}

const parameters = (...p: object[]) => ({ resourceType: 'Parameters', parameter: p })

async function pollUntilDone(hub: TestServer, url: string) {
  for (let i = 0; i < 600; i++) {
    const res = await fetch(url)
    if (res.status !== 202) return res
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error('the run did not finish')
}

const tierCounts = (out: any) => Object.fromEntries(out.parameter.filter((p: any) => p.name === 'tier').map((p: any) => [p.part[0].valueCode, p.part[1].valueInteger]))
const value = (out: any, name: string) => { const p = out.parameter.find((x: any) => x.name === name); return p?.valueInteger ?? p?.valueCode ?? p?.valueDate }

t.test('$stratify', async (t) => {
  const hub = await startTestServer(t)
  const population = new Population('stratify-test')
  await post(hub, '', transaction(population.organizations()))
  const records: Resource[][] = []
  const trafford = new Set((await import('../../src/generate/practices.js')).gpPractices().filter((p) => p.borough === 'Trafford').map((p) => `Organization/${p.id}`))
  for (let i = 0; i < PATIENTS; i += 20) {
    const chunk: Resource[] = []
    for (let k = 0; k < 20; k++) {
      const resources = population.next()
      records.push(resources)
      chunk.push(...resources)
    }
    const res = await post(hub, '', transaction(chunk))
    t.equal(res.status, 200, `patients ${i}-${i + 19} loaded`)
  }
  const registered = records.filter((r) => trafford.has((r[0] as Patient).generalPractitioner?.[0]?.reference ?? ''))
  const want: Record<string, number> = { 'below-threshold': 0, mild: 0, moderate: 0, severe: 0 }
  const byId = new Map<string, ReturnType<typeof expected>>()
  for (const r of registered) {
    const e = expected(r)
    want[e.tier]++
    byId.set(r[0].id!, e)
  }

  let statusUrl = ''
  t.test('respond-async: 202 + Content-Location, polled to 200 with a batch-response', async (t) => {
    const started = await post(hub, '$stratify', parameters({ name: 'date', valueDateTime: ASSESSED }), { prefer: 'respond-async' })
    t.equal(started.status, 202)
    statusUrl = started.headers.get('content-location') ?? ''
    t.match(statusUrl, /\/fhir\/_async\/stratify-[0-9a-f-]{36}$/)
    const done = await pollUntilDone(hub, statusUrl)
    t.equal(done.status, 200)
    const bundle: any = await done.json()
    t.equal(bundle.type, 'batch-response')
    const out = bundle.entry[0].resource
    t.equal(value(out, 'status'), 'completed')
    t.equal(value(out, 'cycle'), '2025-10-01')
    t.equal(value(out, 'assessed'), registered.length, 'every registered Trafford patient assessed')
    t.same(tierCounts(out), want, 'tier counts agree with the plain recomputation')
    t.ok(want.mild + want.moderate + want.severe > 0, 'some patients above threshold')
  })

  t.test('one RiskAssessment per patient, valid against its profile, with the recomputed tier', async (t) => {
    const res: any = await (await hub.fetch('RiskAssessment?_count=1000')).json()
    t.equal(res.entry.length, registered.length)
    let mismatches = 0
    for (const { resource } of res.entry) {
      const patientId = resource.subject.reference.split('/')[1]
      if (resource.prediction[0].qualitativeRisk.coding[0].code !== byId.get(patientId)?.tier) mismatches++
    }
    t.equal(mismatches, 0)
    const validated: any = await (await post(hub, 'RiskAssessment/$validate', parameters({ name: 'resource', resource: res.entry[0].resource }))).json()
    t.same(validated.issue.filter((i: any) => i.severity === 'error'), [], 'valid against casehub-risk-assessment')
  })

  t.test('proposal Tasks only for adults at or above moderate who are not on the caseload', async (t) => {
    const tasks: any = await (await hub.fetch('Task?intent=proposal&_count=1000')).json()
    const proposed = new Set((tasks.entry ?? []).map((e: any) => e.resource.for.reference.split('/')[1]))
    const onCaseload = (r: Resource[]) => r.some((x: any) =>
      (x.resourceType === 'EpisodeOfCare' && x.status === 'active' && x.managingOrganization?.reference === 'Organization/cmt-trafford') ||
      (x.resourceType === 'Task' && ['accepted', 'in-progress'].includes(x.status) && x.owner?.reference === 'Organization/cmt-trafford'))
    let expectedProposals = 0
    for (const r of registered) {
      const e = byId.get(r[0].id!)!
      const should = e.adult && (e.tier === 'moderate' || e.tier === 'severe') && !onCaseload(r)
      if (should) expectedProposals++
      t.equal(proposed.has(r[0].id!), should, `${r[0].id} ${e.tier}${onCaseload(r) ? ' on caseload' : ''}`)
    }
    t.equal(proposed.size, expectedProposals)
    const task = tasks.entry?.[0]?.resource
    if (task) {
      t.equal(task.status, 'requested')
      t.match(task.focus.reference, /^RiskAssessment\//)
      t.match(task.owner.reference, /^Organization\/gp-/)
    }
  })

  t.test('a repeated run in the same cycle writes nothing twice', async (t) => {
    const before = await hub.rows()
    const again = await post(hub, '$stratify', parameters({ name: 'date', valueDateTime: '2025-11-20T09:00:00Z' }))
    t.equal(again.status, 200, 'small population: answered synchronously')
    const out: any = await again.json()
    t.equal(value(out, 'assessed'), 0)
    t.equal(value(out, 'alreadyAssessed'), registered.length)
    t.equal(value(out, 'proposals'), 0)
    t.equal(await hub.rows(), before, 'no resource written')
  })

  t.test('cancel: DELETE on the status URL, then 404', async (t) => {
    const started = await post(hub, '$stratify', parameters({ name: 'date', valueDateTime: '2026-01-15T12:00:00Z' }), { prefer: 'respond-async' })
    const url = started.headers.get('content-location')!
    const cancelled = await fetch(url, { method: 'DELETE' })
    t.equal(cancelled.status, 202)
    // the batch in flight rolls back at its commit; the run then answers 404
    await new Promise((r) => setTimeout(r, 1500))
    const after = await fetch(url)
    t.equal(after.status, 404)
    t.equal(((await after.json()) as any).resourceType, 'OperationOutcome')
  })

  t.test('bad input: 400 with the parameter named', async (t) => {
    const bad = await post(hub, '$stratify', parameters({ name: 'proposalTier', valueCode: 'extreme' }))
    t.equal(bad.status, 400)
    t.same(((await bad.json()) as any).issue[0].expression, ['proposalTier'])
    const unknown = await hub.fetch('_async/stratify-00000000-0000-0000-0000-000000000000')
    t.equal(unknown.status, 404)
    t.equal((await hub.fetch('$stratify')).status, 405, 'GET not allowed: it changes data')
  })
})
