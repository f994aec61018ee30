// Referral intake end to end over HTTP (issue 5 "Operations and workflow"; DESIGN.md journey 1–2):
// a GP system sends a transaction Bundle with the patient's record and a referral claiming the
// casehub-referral profile; CaseHub creates the Task, triages it with the CQL rules, stores the
// GuidanceResponse and moves the Task — all in the Bundle's transaction.
import t from 'tap'
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes'
import { gpPractices } from '../../src/generate/practices.js'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { condition, encounter } from '../rules/eligibility-scenarios.js'

const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code'
const trafford = gpPractices().find((p) => p.borough === 'Trafford')!
const AUTHORED = '2025-06-30T10:00:00+01:00'

interface Case {
  name: string
  pid: string
  birthDate: string
  priority?: 'routine' | 'asap'
  task: string
  reason?: string
  route: string
}

function referralBundle(c: Case, profile = true): Bundle {
  const pid = c.pid
  const resources: Resource[] = [
    { resourceType: 'Organization', id: `gp-${trafford.ods}`, identifier: [{ system: ODS, value: trafford.ods }], name: trafford.name },
    { resourceType: 'Patient', id: pid, birthDate: c.birthDate, name: [{ family: 'Intake' }], generalPractitioner: [{ reference: `Organization/gp-${trafford.ods}` }] },
    condition(pid, 'ltc', '84114007'),
    encounter(pid, 'ae', 'EMER', '2025-03-30T14:00:00Z'),
  ]
  const entries: BundleEntry[] = resources.map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } }))
  entries.push({
    resource: {
      resourceType: 'ServiceRequest',
      ...(profile ? { meta: { profile: ['https://casehub.org/fhir/StructureDefinition/casehub-referral'] } } : {}),
      status: 'active',
      intent: 'order',
      priority: c.priority ?? 'routine',
      category: [{ coding: [{ system: 'http://snomed.info/sct', code: '3457005', display: 'Patient referral' }] }],
      code: { text: 'Referral to community case management' },
      subject: { reference: `Patient/${pid}` },
      requester: { reference: `Organization/gp-${trafford.ods}` },
      authoredOn: AUTHORED,
      reasonReference: [{ reference: `Condition/${pid}-ltc` }],
    },
    request: { method: 'POST', url: 'ServiceRequest' },
  })
  return { resourceType: 'Bundle', type: 'transaction', entry: entries }
}

async function send(hub: TestServer, bundle: Bundle) {
  const res = await hub.fetch('', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(bundle) })
  const body: any = await res.json()
  return { status: res.status, body }
}

const cases: Case[] = [
  { name: 'an eligible adult is accepted', pid: 'in-ok', birthDate: '1950-03-15', task: 'accepted', route: 'case-management' },
  { name: 'a 17-year-old is rejected as under 18', pid: 'in-minor', birthDate: '2008-01-01', task: 'rejected', reason: 'under-18', route: 'not-eligible' },
  { name: 'an acutely unwell patient is redirected to crisis response', pid: 'in-acute', birthDate: '1950-03-15', priority: 'asap', task: 'rejected', reason: 'acutely-unwell', route: 'crisis-response' },
]

t.test('referral intake', async (t) => {
  const hub = await startTestServer(t)

  for (const c of cases) {
    t.test(c.name, async (t) => {
      const sent = await send(hub, referralBundle(c))
      t.equal(sent.status, 200, JSON.stringify(sent.body.issue ?? ''))
      const srId = /ServiceRequest\/([^/]+)\/_history/.exec(sent.body.entry.at(-1).response.location)![1]
      const tasks: any = await hub.client.search({ resourceType: 'Task', searchParams: { focus: `ServiceRequest/${srId}` } })
      t.equal(tasks.entry?.length, 1, 'one Task for the referral')
      const task = tasks.entry[0].resource
      t.equal(task.status, c.task)
      t.equal(task.owner.reference, undefined, 'the team is named by display when its Organization is not held')
      if (c.reason) t.equal(task.statusReason.coding[0].code, c.reason)
      const history: any = await hub.client.resourceHistory({ resourceType: 'Task', id: task.id })
      t.same(history.entry.map((e: any) => e.resource.status), [c.task, 'requested'], 'requested first, then decided')
      const guidance: any = await hub.client.read({ resourceType: 'GuidanceResponse', id: task.output[0].valueReference.reference.split('/')[1] })
      const result = guidance.contained.find((r: any) => r.id === 'result')
      t.equal(result.parameter.find((p: any) => p.name === 'route').valueCode, c.route)
      t.equal(result.parameter.filter((p: any) => p.name === 'criterion').length, 10, 'every criterion explained')
      const crisis: any = await hub.client.search({ resourceType: 'ServiceRequest', searchParams: { 'based-on': `ServiceRequest/${srId}` } })
      t.equal(crisis.entry?.length ?? 0, c.route === 'crisis-response' ? 1 : 0, 'a crisis referral only when acutely unwell')
      if (c.route === 'crisis-response') t.equal(crisis.entry[0].resource.performerType.coding[0].code, 'crisis-response')
    })
  }

  t.test('Task/$triage re-runs the rules after the record changed; an override is audited', async (t) => {
    const c = { ...cases[0], pid: 'in-retriage', birthDate: '2010-01-01' }
    const sent = await send(hub, referralBundle(c))
    const srId = /ServiceRequest\/([^/]+)\/_history/.exec(sent.body.entry.at(-1).response.location)![1]
    const tasks: any = await hub.client.search({ resourceType: 'Task', searchParams: { focus: `ServiceRequest/${srId}` } })
    const task = tasks.entry[0].resource
    t.equal(task.status, 'rejected', 'a child at first')
    // The GP corrects the birth date; triage runs again
    await hub.client.update({ resourceType: 'Patient', id: c.pid, body: { resourceType: 'Patient', id: c.pid, birthDate: '1950-01-01', generalPractitioner: [{ reference: `Organization/gp-${trafford.ods}` }] } })
    const rerun = await hub.fetch(`Task/${task.id}/$triage`, { method: 'POST' })
    t.equal(rerun.status, 200)
    const after: any = await rerun.json()
    t.equal(after.status, 'accepted')
    t.equal(after.statusReason, undefined, 'the old reason is gone')
    t.equal(after.output.length, 2, 'both assessments are kept in Task.output')

    const override = await hub.fetch(`Task/${task.id}/$triage`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'status', valueCode: 'rejected' }, { name: 'reason', valueString: 'Already known to the heart failure nurses' }, { name: 'author', valueReference: { reference: 'Practitioner/nurse-1' } }] }),
    })
    t.equal(override.status, 200)
    const overridden: any = await override.json()
    t.equal(overridden.status, 'rejected')
    t.equal(overridden.statusReason.text, 'Already known to the heart failure nurses')
    const provenance: any = await hub.client.search({ resourceType: 'Provenance', searchParams: { target: `Task/${task.id}` } })
    t.equal(provenance.entry?.length, 1, 'one Provenance for the override')
    t.equal(provenance.entry[0].resource.agent[0].who.reference, 'Practitioner/nurse-1')
    t.match(provenance.entry[0].resource.target[0].reference, new RegExp(`^Task/${task.id}/_history/\\d+$`))

    const noReason = await hub.fetch(`Task/${task.id}/$triage?status=accepted`, { method: 'POST' })
    t.equal(noReason.status, 400, 'an override needs a reason')
    t.equal((await hub.fetch(`Task/${task.id}/$triage`)).status, 405, '$triage changes data: POST only')
  })

  t.test('a ServiceRequest that does not claim the referral profile starts no intake', async (t) => {
    const sent = await send(hub, referralBundle({ ...cases[0], pid: 'in-plain' }, false))
    t.equal(sent.status, 200)
    const srId = /ServiceRequest\/([^/]+)\/_history/.exec(sent.body.entry.at(-1).response.location)![1]
    const tasks: any = await hub.client.search({ resourceType: 'Task', searchParams: { focus: `ServiceRequest/${srId}` } })
    t.equal(tasks.entry?.length ?? 0, 0)
  })

  t.test('a referral posted alone, for a patient the server does not hold, is put on hold (data required)', async (t) => {
    const sr = referralBundle({ ...cases[0], pid: 'in-nobody' }).entry!.at(-1)!.resource!
    const res = await hub.fetch('ServiceRequest', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(sr) })
    t.equal(res.status, 201)
    const created: any = await res.json()
    const tasks: any = await hub.client.search({ resourceType: 'Task', searchParams: { focus: `ServiceRequest/${created.id}` } })
    t.equal(tasks.entry[0].resource.status, 'on-hold')
    t.equal(tasks.entry[0].resource.statusReason.coding[0].code, 'data-required')
  })
})

t.test('outside service hours a referral is still taken and triaged, with the NHS 111 / 999 advice', async (t) => {
  // Today as a bank holiday: whatever the time, the service is closed
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date())
  const hub = await startTestServer(t, { CASEHUB_BANK_HOLIDAYS: today })
  const sr = referralBundle({ ...cases[0], pid: 'in-closed' }).entry!.at(-1)!.resource!
  const res = await hub.fetch('ServiceRequest', { method: 'POST', headers: { 'content-type': 'application/fhir+json', prefer: 'return=OperationOutcome' }, body: JSON.stringify(sr) })
  t.equal(res.status, 201)
  const outcome: any = await res.json()
  t.ok(outcome.issue.some((i: any) => i.severity === 'information' && /NHS 111/.test(i.diagnostics)), JSON.stringify(outcome.issue))
  const created = /ServiceRequest\/([^/]+)\/_history/.exec(res.headers.get('location')!)![1]
  const tasks: any = await hub.client.search({ resourceType: 'Task', searchParams: { focus: `ServiceRequest/${created}` } })
  t.match(tasks.entry[0].resource.note[0].text, /NHS 111/)

  const sent = await send(hub, referralBundle({ ...cases[0], pid: 'in-closed-tx' }))
  t.match(sent.body.entry.at(-1).response.outcome.issue[0].diagnostics, /NHS 111/, 'in a transaction: the entry\'s response.outcome')
  t.notOk(sent.body.entry[0].response.outcome, 'other entries carry none')
})

t.test('within service hours there is no advice', async (t) => {
  const hub = await startTestServer(t, { CASEHUB_SERVICE_HOURS: 'Mon-Sun 00:00-24:00' })
  const sent = await send(hub, referralBundle({ ...cases[0], pid: 'in-open' }))
  t.equal(sent.status, 200)
  t.notOk(sent.body.entry.at(-1).response.outcome)
})
