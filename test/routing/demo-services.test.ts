// The Trafford demo destinations (demo/trafford-services.json, issue 6 "Demo data for
// Trafford"): loadable by `casehub load`, every HealthcareService with an active FHIR Endpoint
// and service types from CaseHub's terminology; with them held, triage's crisis re-route names
// the Community Crisis Response Team as performer and is delivered there.
import t, { type Test } from 'tap'
import { join } from 'node:path'
import type { Bundle, Endpoint, HealthcareService } from '@medplum/fhirtypes'
import { gpPractices } from '../../src/generate/practices.js'
import { ROOT, runCasehub } from '../helpers/cli.js'
import { acuteReferralBundle } from '../rules/eligibility-scenarios.js'
import { outboxRows, startHub, startReceiver, until, type Hub } from './helpers.js'

const DEMO = join(ROOT, 'demo/trafford-services.json')
const CASEHUB_SYSTEM = 'https://casehub.org/fhir/CodeSystem/service-type'

async function loadDemo(t: Test, hub: Hub) {
  const run = await runCasehub(['load', DEMO], { DATABASE_URL: hub.server.db.url, LOG_LEVEL: 'silent' })
  t.equal(run.code, 0, `casehub load: ${run.stderr.slice(-300)}`)
  t.match(run.stdout, /loaded 15 resources from 1 of 1 files/)
}

const services = async (hub: Hub): Promise<HealthcareService[]> => ((await hub.json('HealthcareService?_count=100')).entry ?? []).map((e: any) => e.resource)

async function validCode(hub: Hub, path: string, system: string, code: string) {
  const res = await hub.json(`${path}/$validate-code?url=${encodeURIComponent(system)}&code=${encodeURIComponent(code)}`)
  return res.parameter.find((p: any) => p.name === 'result')?.valueBoolean === true
}

t.test('every demo HealthcareService has an active FHIR Endpoint, valid service types, coverage and hours', async (t) => {
  const hub = await startHub(t, false)
  await loadDemo(t, hub)
  const list = await services(hub)
  t.same(list.map((s) => s.id).sort(), [
    'hs-community-occupational-therapy',
    'hs-community-physiotherapy',
    'hs-crisis-response',
    'hs-district-nursing-diabetes',
    'hs-social-prescribing',
  ])
  for (const s of list) {
    t.equal(s.active, true, `${s.id} active`)
    t.ok(s.name && s.availableTime?.length, `${s.id} has a name and opening hours`)
    for (const a of s.availableTime ?? []) t.ok(a.daysOfWeek?.length && (a.allDay || (a.availableStartTime && a.availableEndTime)), `${s.id} hours are days and times`)
    t.ok(s.coverageArea?.length, `${s.id} names its coverage`)
    for (const area of s.coverageArea ?? []) {
      const location = await hub.json(area.reference!)
      t.match(location, { resourceType: 'Location', mode: 'kind', physicalType: { coding: [{ code: 'area' }] } }, `${s.id} covers ${area.reference}`)
    }
    const endpoints: Endpoint[] = await Promise.all((s.endpoint ?? []).map((e) => hub.json(e.reference!)))
    t.ok(endpoints.length >= 1, `${s.id} has an Endpoint`)
    for (const ep of endpoints) {
      t.match(ep, { resourceType: 'Endpoint', status: 'active', connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'hl7-fhir-rest' } }, `${ep.id}`)
      t.ok(ep.payloadType?.length && /^https?:\/\/[^/]+\/.+/.test(ep.address!), `${ep.id} payload type and a FHIR base URL`)
    }
    const codings = (s.type ?? []).flatMap((c) => c.coding ?? [])
    let inOnward = false
    for (const c of codings) {
      if (c.system === CASEHUB_SYSTEM) t.ok(await validCode(hub, 'CodeSystem', c.system, c.code!), `${s.id}: ${c.code} is a CaseHub service type`)
      const vs = await hub.json(`ValueSet/$validate-code?url=${encodeURIComponent('https://casehub.org/fhir/ValueSet/onward-service-types')}&system=${encodeURIComponent(c.system!)}&code=${c.code}`)
      if (vs.parameter.find((p: any) => p.name === 'result')?.valueBoolean) inOnward = true
    }
    t.ok(inOnward, `${s.id}: a type from the onward-service-types ValueSet`)
  }
})

const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code'
const practice = gpPractices().find((p) => p.borough === 'Trafford')!

/** An acutely unwell patient's referral (priority asap), as a GP system sends it. */
function acuteReferral(pid: string): Bundle {
  return acuteReferralBundle(pid, practice.ods, [{ resourceType: 'Organization', id: `gp-${practice.ods}`, identifier: [{ system: ODS, value: practice.ods }], name: practice.name }])
}

t.test('an acutely unwell referral is re-routed to the crisis team’s HealthcareService and delivered there', async (t) => {
  const receiver = await startReceiver(t)
  const hub = await startHub(t)
  await loadDemo(t, hub)
  // the demo addresses are placeholders; point the crisis team's Endpoint at the receiver
  const ep = await hub.json('Endpoint/ep-crisis-response')
  await hub.put({ ...ep, address: receiver.url })

  const res = await hub.fetch('', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(acuteReferral('acute-1')) })
  t.equal(res.status, 200)
  const referralId = /ServiceRequest\/([^/]+)/.exec((await res.json()).entry[4].response.location)![1]
  const crisis = (await hub.json(`ServiceRequest?based-on=ServiceRequest/${referralId}`)).entry[0].resource
  t.match(crisis, {
    performerType: { coding: [{ code: 'crisis-response' }] },
    performer: [{ reference: 'HealthcareService/hs-crisis-response', display: 'Trafford Community Crisis Response Team' }],
  })
  await until(async () => (await outboxRows(hub))[0]?.status === 'delivered', 15_000, 'crisis referral delivered')
  const rows = await outboxRows(hub)
  t.equal(rows.length, 1, 'only the crisis referral is routed')
  t.match(rows[0], { endpoint_id: 'ep-crisis-response', service_id: 'hs-crisis-response', payload_id: crisis.id })
  t.equal(receiver.requests.length, 1)
  const sent = receiver.requests[0].entry!.find((e) => e.resource?.resourceType === 'ServiceRequest')!.resource as any
  t.equal(sent.priority, 'asap')
  t.match(receiver.requests[0].entry!.find((e) => e.resource?.resourceType === 'Task')!.resource, { owner: { display: 'Trafford Community Crisis Response Team' } })
  const tracking = await until(async () => {
    const x = (await hub.json(`Task?focus=ServiceRequest/${crisis.id}`)).entry?.[0]?.resource
    return x?.status === 'received' && x
  }, 5000, 'tracking Task received')
  t.match(tracking.owner, { reference: 'HealthcareService/hs-crisis-response' })
})
