// Routing rules (issue 6: "Routing rules may also choose the HealthcareService from the
// request's code and the patient's practice when no performer is given"): the code maps to a
// service type through ConceptMap/onward-referral-routing; the practice's site Location, inside a
// service's coverage area, picks between services of that type.
import t from 'tap'
import type { Resource } from '@medplum/fhirtypes'
import { outboxRows, startHub, startReceiver, trackingTask, until, type Hub } from './helpers.js'

const SCT = 'http://snomed.info/sct'
const SERVICE_TYPE = 'https://casehub.org/fhir/CodeSystem/service-type'

const area = (id: string): Resource => ({ resourceType: 'Location', id, name: id, mode: 'kind', physicalType: { coding: [{ code: 'area' }] } }) as Resource
const service = (id: string, type: { system: string; code: string }, areas: string[]): Resource =>
  ({ resourceType: 'HealthcareService', id, active: true, name: id, type: [{ coding: [type] }], coverageArea: areas.map((a) => ({ reference: `Location/${a}` })), endpoint: [{ reference: `Endpoint/ep-${id}` }] }) as Resource
const endpoint = (id: string, address: string): Resource =>
  ({ resourceType: 'Endpoint', id: `ep-${id}`, status: 'active', connectionType: { code: 'hl7-fhir-rest' }, payloadType: [{ text: 'any' }], address }) as Resource
const referral = (patient: string, code: string, display: string): any => ({
  resourceType: 'ServiceRequest',
  status: 'active',
  intent: 'order',
  code: { coding: [{ system: SCT, code, display }] },
  subject: { reference: `Patient/${patient}` },
  authoredOn: '2026-11-20',
})

async function seed(hub: Hub, addresses: Record<string, string>) {
  const resources: Resource[] = [
    area('area-trafford'),
    { ...area('area-north'), partOf: { reference: 'Location/area-trafford' } } as Resource,
    { ...area('area-south'), partOf: { reference: 'Location/area-trafford' } } as Resource,
    { resourceType: 'Organization', id: 'gp-north', name: 'North practice' },
    { resourceType: 'Organization', id: 'gp-south', name: 'South practice' },
    { resourceType: 'Organization', id: 'gp-unknown', name: 'A practice with no site recorded' },
    // a practice's site sits inside its neighbourhood
    { resourceType: 'Location', id: 'site-north', name: 'North surgery', managingOrganization: { reference: 'Organization/gp-north' }, partOf: { reference: 'Location/area-north' } } as Resource,
    { resourceType: 'Location', id: 'site-south', name: 'South surgery', managingOrganization: { reference: 'Organization/gp-south' }, partOf: { reference: 'Location/area-south' } } as Resource,
    { resourceType: 'Patient', id: 'p-north', generalPractitioner: [{ reference: 'Organization/gp-north' }] },
    { resourceType: 'Patient', id: 'p-south', generalPractitioner: [{ reference: 'Organization/gp-south' }] },
    { resourceType: 'Patient', id: 'p-unknown', generalPractitioner: [{ reference: 'Organization/gp-unknown' }] },
    endpoint('sp-north', addresses.north),
    endpoint('sp-south', addresses.south),
    endpoint('physio', addresses.physio),
    service('sp-north', { system: SERVICE_TYPE, code: 'social-prescribing' }, ['area-north']),
    service('sp-south', { system: SERVICE_TYPE, code: 'social-prescribing' }, ['area-south']),
    // covers the whole borough: a practice in either neighbourhood is inside it
    service('physio', { system: SCT, code: '699650006' }, ['area-trafford']),
  ]
  for (const r of resources) await hub.put(r as Resource & { id: string })
}

t.test('a referral without a performer goes to the service of its kind that covers the patient’s practice', async (t) => {
  const [north, south, physio] = await Promise.all([startReceiver(t), startReceiver(t), startReceiver(t)])
  const hub = await startHub(t)
  await seed(hub, { north: north.url, south: south.url, physio: physio.url })

  const toNorth = await hub.post(referral('p-north', '871731000000106', 'Referral to social prescribing service'))
  const toSouth = await hub.post(referral('p-south', '871731000000106', 'Referral to social prescribing service'))
  const physioReferral = await hub.post(referral('p-south', '306171006', 'Referral to community-based physiotherapy service'))
  const unknownPractice = await hub.post(referral('p-unknown', '871731000000106', 'Referral to social prescribing service'))
  const clinic = await hub.post(referral('p-north', '134440006', 'Referral to heart failure clinic'))

  t.match(await trackingTask(hub, toNorth.id), { owner: { reference: 'HealthcareService/sp-north' } })
  t.match(await trackingTask(hub, toSouth.id), { owner: { reference: 'HealthcareService/sp-south' } })
  t.match(await trackingTask(hub, physioReferral.id), { owner: { reference: 'HealthcareService/physio' } }, 'coverage by a containing area')
  t.match(await trackingTask(hub, unknownPractice.id), { owner: { reference: 'HealthcareService/sp-north' } }, 'practice sites unknown: the first service of the kind by id')

  await until(async () => (await outboxRows(hub)).filter((r: any) => r.status === 'delivered').length === 4, 10_000, 'four deliveries')
  t.equal(north.requests.length, 2, 'north: its own patient and the one whose practice is unknown')
  t.equal(south.requests.length, 1)
  t.equal(physio.requests.length, 1)
  t.equal((await outboxRows(hub)).length, 4, 'a code the rules do not map (a hospital clinic) is not routed')
  const clinicTasks = await hub.json(`Task?focus=ServiceRequest/${clinic.id}`)
  t.notOk(clinicTasks.entry?.length, 'and gets no tracking Task')
})

t.test('a performer named by the referrer wins over the rules; a practice no service covers is not routed', async (t) => {
  const [north, south, physio] = await Promise.all([startReceiver(t), startReceiver(t), startReceiver(t)])
  const hub = await startHub(t)
  await seed(hub, { north: north.url, south: south.url, physio: physio.url })
  const named = await hub.post({ ...referral('p-north', '871731000000106', 'Referral to social prescribing service'), performer: [{ reference: 'HealthcareService/sp-south' }] })
  t.match(await trackingTask(hub, named.id), { owner: { reference: 'HealthcareService/sp-south' } })
  // the north social prescribing service moves to cover the south only: nobody covers the north
  await hub.put(service('sp-north', { system: SERVICE_TYPE, code: 'social-prescribing' }, ['area-south']) as Resource & { id: string })
  const uncovered = await hub.post(referral('p-north', '871731000000106', 'Referral to social prescribing service'))
  const tasks = await hub.json(`Task?focus=ServiceRequest/${uncovered.id}`)
  t.notOk(tasks.entry?.length, 'no tracking Task')
  t.equal((await outboxRows(hub)).length, 1, 'only the named delivery')
})
