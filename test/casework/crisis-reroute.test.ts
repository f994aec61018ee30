// Triage's crisis re-route (seed 000: acutely unwell patients go to the Community Crisis Response
// Team; issue 6 "created … by triage's crisis re-route"): the crisis-response HealthcareService is
// chosen as routing rules choose onward services, by coverage of the patient's practice, and
// delivered there; running $triage again makes no second crisis referral while one stands.
import t from 'tap'
import type { Resource } from '@medplum/fhirtypes'
import { gpPractices } from '../../src/generate/practices.js'
import { acuteReferralBundle } from '../rules/eligibility-scenarios.js'
import { outboxRows, startHub, startReceiver, until, type Hub } from '../routing/helpers.js'

const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code'
const SERVICE_TYPE = 'https://casehub.org/fhir/CodeSystem/service-type'
const [north, south, elsewhere] = gpPractices().filter((p) => p.borough === 'Trafford')

const area = (id: string, partOf?: string): Resource =>
  ({ resourceType: 'Location', id, name: id, mode: 'kind', physicalType: { coding: [{ code: 'area' }] }, ...(partOf ? { partOf: { reference: `Location/${partOf}` } } : {}) }) as Resource

/** Two crisis teams: "a" covers the south, "b" the north; a practice elsewhere is covered by neither. */
async function seed(hub: Hub, urls: { a: string; b: string }) {
  const resources: Resource[] = [area('area-trafford'), area('area-north', 'area-trafford'), area('area-south', 'area-trafford'), area('area-elsewhere')]
  for (const [p, where] of [[north, 'area-north'], [south, 'area-south'], [elsewhere, 'area-elsewhere']] as const) {
    resources.push({ resourceType: 'Organization', id: `gp-${p.ods}`, identifier: [{ system: ODS, value: p.ods }], name: p.name })
    resources.push({ resourceType: 'Location', id: `site-${p.ods}`, name: p.name, managingOrganization: { reference: `Organization/gp-${p.ods}` }, partOf: { reference: `Location/${where}` } } as Resource)
  }
  for (const [id, covers] of [['a', 'area-south'], ['b', 'area-north']] as const) {
    resources.push({ resourceType: 'Endpoint', id: `ep-crisis-${id}`, status: 'active', connectionType: { code: 'hl7-fhir-rest' }, payloadType: [{ text: 'any' }], address: urls[id] } as Resource)
    resources.push({
      resourceType: 'HealthcareService',
      id: `hs-crisis-${id}`,
      active: true,
      name: `Crisis team ${id}`,
      type: [{ coding: [{ system: SERVICE_TYPE, code: 'crisis-response' }] }],
      coverageArea: [{ reference: `Location/${covers}` }],
      endpoint: [{ reference: `Endpoint/ep-crisis-${id}` }],
    } as Resource)
  }
  for (const r of resources) await hub.put(r as Resource & { id: string })
}

/** An acutely unwell patient's referral (priority asap) from practice `ods`, as a GP system sends it. */
async function refer(hub: Hub, pid: string, ods: string): Promise<string> {
  const bundle = acuteReferralBundle(pid, ods)
  const res = await hub.fetch('', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(bundle) })
  const body: any = await res.json()
  if (res.status !== 200) throw new Error(JSON.stringify(body))
  return /ServiceRequest\/([^/]+)/.exec(body.entry.at(-1).response.location)![1]
}

const crisisReferrals = async (hub: Hub, referralId: string) =>
  ((await hub.json(`ServiceRequest?based-on=ServiceRequest/${referralId}`)).entry ?? []).map((e: any) => e.resource)

t.test('the crisis re-route names the crisis team covering the patient’s practice and is delivered there', async (t) => {
  const [a, b] = await Promise.all([startReceiver(t), startReceiver(t)])
  const hub = await startHub(t)
  await seed(hub, { a: a.url, b: b.url })

  const northId = await refer(hub, 'acute-north', north.ods)
  const southId = await refer(hub, 'acute-south', south.ods)
  const [toNorth] = await crisisReferrals(hub, northId)
  const [toSouth] = await crisisReferrals(hub, southId)
  t.match(toNorth, { performerType: { coding: [{ code: 'crisis-response' }] }, performer: [{ reference: 'HealthcareService/hs-crisis-b', display: 'Crisis team b' }] }, 'not the first by id: the one covering the north')
  t.match(toSouth, { performer: [{ reference: 'HealthcareService/hs-crisis-a' }] })
  await until(async () => (await outboxRows(hub)).filter((r: any) => r.status === 'delivered').length === 2, 15_000, 'two deliveries')
  t.equal(b.requests.length, 1, 'the north team got its patient')
  t.equal(a.requests.length, 1, 'the south team got its patient')
})

t.test('when no crisis team covers the practice, the first active one by id is named, as before', async (t) => {
  const hub = await startHub(t, false)
  await seed(hub, { a: 'http://127.0.0.1:9/fhir', b: 'http://127.0.0.1:9/fhir' })
  const id = await refer(hub, 'acute-elsewhere', elsewhere.ods)
  const [crisis] = await crisisReferrals(hub, id)
  t.match(crisis, { performer: [{ reference: 'HealthcareService/hs-crisis-a' }] })
})

t.test('Task/$triage run again for an acutely unwell patient makes no second crisis referral while one stands', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t)
  await seed(hub, { a: receiver.url, b: receiver.url })
  const referralId = await refer(hub, 'acute-again', north.ods)
  const task = (await hub.json(`Task?focus=ServiceRequest/${referralId}`)).entry[0].resource
  t.equal(task.status, 'rejected')

  for (let i = 0; i < 2; i++) {
    const rerun = await hub.fetch(`Task/${task.id}/$triage`, { method: 'POST' })
    t.equal(rerun.status, 200)
    t.match(await rerun.json(), { status: 'rejected', statusReason: { coding: [{ code: 'acutely-unwell' }] } })
  }
  const [crisis, ...more] = await crisisReferrals(hub, referralId)
  t.equal(more.length, 0, 'one crisis referral after three triages')
  await until(async () => (await outboxRows(hub))[0]?.status === 'delivered', 15_000, 'delivered')
  await new Promise((r) => setTimeout(r, 300))
  t.equal(receiver.requests.length, 1, 'delivered once')

  // withdrawn (revoked): the next triage that finds the patient acutely unwell refers again
  await hub.put({ ...crisis, status: 'revoked' })
  t.equal((await hub.fetch(`Task/${task.id}/$triage`, { method: 'POST' })).status, 200)
  const after = await crisisReferrals(hub, referralId)
  t.equal(after.length, 2)
  t.equal(after.filter((s: any) => s.status === 'active').length, 1, 'one standing crisis referral')
})
