// Patient/[id]/$everything (patient-operation-everything.html): the patient's compartment and
// what it refers to, start/end care dates, _since, _type, paging by _count, and bad input.
import t from 'tap'
import type { Bundle } from '@medplum/fhirtypes'
import { startTestServer } from '../../helpers/test-server.js'

const keys = (bundle: any, mode: string) =>
  (bundle.entry ?? []).filter((e: any) => e.search?.mode === mode).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort()

t.test('Patient/$everything', async (t) => {
  const hub = await startTestServer(t)
  const put = async (resource: any) => {
    const res = await hub.fetch(`${resource.resourceType}/${resource.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(resource),
    })
    t.ok(res.status === 201 || res.status === 200, `${resource.resourceType}/${resource.id} written`)
  }
  const encounter = (id: string, patient: string, start: string) => ({
    resourceType: 'Encounter', id, status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: `Patient/${patient}` }, period: { start, end: start },
  })
  await put({ resourceType: 'Organization', id: 'ev-gp', name: 'Ev Surgery' })
  await put({ resourceType: 'Practitioner', id: 'ev-dr', name: [{ family: 'Okafor' }] })
  await put({ resourceType: 'Patient', id: 'ev-1', generalPractitioner: [{ reference: 'Practitioner/ev-dr' }], managingOrganization: { reference: 'Organization/ev-gp' } })
  await put({ resourceType: 'Patient', id: 'ev-2' })
  await put(encounter('ev-enc-2024', 'ev-1', '2024-03-01'))
  await put(encounter('ev-enc-2025', 'ev-1', '2025-06-01'))
  await put({
    resourceType: 'Observation', id: 'ev-obs', status: 'final', code: { text: 'weight' }, subject: { reference: 'Patient/ev-1' },
    effectiveDateTime: '2025-06-02T10:00:00Z', performer: [{ reference: 'Practitioner/ev-dr' }],
  })
  await put({ resourceType: 'Condition', id: 'ev-cond', subject: { reference: 'Patient/ev-1' }, code: { text: 'COPD' } })
  await put(encounter('ev-other', 'ev-2', '2025-06-01'))
  await put({ resourceType: 'Group', id: 'ev-group', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/ev-1' } }, { entity: { reference: 'Patient/ev-2' } }] })
  await put({ resourceType: 'Observation', id: 'ev-other-obs', status: 'final', code: { text: 'HIV test' }, subject: { reference: 'Patient/ev-2' } })
  await put({ resourceType: 'List', id: 'ev-list', status: 'current', mode: 'working', subject: { reference: 'Patient/ev-1' }, entry: [{ item: { reference: 'Observation/ev-other-obs' } }] })
  const everyMatch = ['Condition/ev-cond', 'Encounter/ev-enc-2024', 'Encounter/ev-enc-2025', 'Group/ev-group', 'List/ev-list', 'Observation/ev-obs', 'Patient/ev-1']

  t.test('the patient, their compartment, and what it refers to; nobody else (fhir-kit-client)', async (t) => {
    const bundle = (await hub.client.operation({ name: 'everything', resourceType: 'Patient', id: 'ev-1', method: 'GET' })) as unknown as Bundle
    t.equal(bundle.type, 'searchset')
    t.same(keys(bundle, 'match'), everyMatch)
    t.same(keys(bundle, 'include'), ['Organization/ev-gp', 'Practitioner/ev-dr'], 'referenced resources come along, each once')
    t.equal(bundle.total, 7)
    const ids = (bundle.entry ?? []).map((e) => e.resource!.id)
    t.notOk(ids.includes('ev-2') || ids.includes('ev-other'), 'another patient in the same Group is not in it, nor their record')
    t.notOk(ids.includes('ev-other-obs'), "another patient's Observation that a List of this patient names is not in it")
  })

  t.test('start and end select by care date; resources without one stay in', async (t) => {
    const from = (await (await hub.fetch('Patient/ev-1/$everything?start=2025-01-01')).json()) as any
    t.same(keys(from, 'match'), ['Condition/ev-cond', 'Encounter/ev-enc-2025', 'Group/ev-group', 'List/ev-list', 'Observation/ev-obs', 'Patient/ev-1'])
    const until = (await (await hub.fetch('Patient/ev-1/$everything?end=2024-12')).json()) as any
    t.same(keys(until, 'match'), ['Condition/ev-cond', 'Encounter/ev-enc-2024', 'Group/ev-group', 'List/ev-list', 'Patient/ev-1'])
    const post = await hub.fetch('Patient/ev-1/$everything', {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'start', valueDate: '2025-06-02' }, { name: 'end', valueDate: '2025-06-02' }] }),
    })
    t.same(keys(await post.json(), 'match'), ['Condition/ev-cond', 'Group/ev-group', 'List/ev-list', 'Observation/ev-obs', 'Patient/ev-1'], 'POST with a Parameters body')
    const coded = await hub.fetch('Patient/ev-1/$everything', {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: '_type', valueCode: 'Condition' }] }),
    })
    t.same(keys(await coded.json(), 'match'), ['Condition/ev-cond'], '_type as a code, as its definition types it')
  })

  t.test('start and end read each type by its own care date (authoredOn, onset, …), not only `date`', async (t) => {
    await put({ resourceType: 'Patient', id: 'ev-3' })
    const subject = { reference: 'Patient/ev-3' }
    const medication = { text: 'salbutamol' }
    await put({ resourceType: 'MedicationRequest', id: 'ev-mr-2023', status: 'stopped', intent: 'order', subject, medicationCodeableConcept: medication, authoredOn: '2023-05-01' })
    await put({ resourceType: 'MedicationRequest', id: 'ev-mr-2025', status: 'active', intent: 'order', subject, medicationCodeableConcept: medication, authoredOn: '2025-05-01' })
    await put({ resourceType: 'Condition', id: 'ev-onset-2020', subject, code: { text: 'asthma' }, onsetDateTime: '2020-01-10' })
    await put({ resourceType: 'Condition', id: 'ev-onset-2025', subject, code: { text: 'COPD' }, onsetPeriod: { start: '2024-11-01', end: '2025-02-01' } })
    await put({ resourceType: 'Condition', id: 'ev-no-onset', subject, code: { text: 'anxiety' } })
    await put({ resourceType: 'ServiceRequest', id: 'ev-sr-2025', status: 'active', intent: 'order', subject, authoredOn: '2025-03-03T09:00:00Z' })
    await put({ resourceType: 'Task', id: 'ev-task-2022', status: 'completed', intent: 'order', for: subject, authoredOn: '2022-03-03' })
    await put({
      resourceType: 'DocumentReference', id: 'ev-letter', status: 'current', subject, date: '2020-01-01T00:00:00Z',
      content: [{ attachment: { contentType: 'text/plain', data: 'TGV0dGVy' } }], context: { period: { start: '2025-02-01', end: '2025-02-02' } },
    })

    const from2025 = (await (await hub.fetch('Patient/ev-3/$everything?start=2025-01-01')).json()) as any
    t.same(keys(from2025, 'match'), ['Condition/ev-no-onset', 'Condition/ev-onset-2025', 'DocumentReference/ev-letter', 'MedicationRequest/ev-mr-2025', 'Patient/ev-3', 'ServiceRequest/ev-sr-2025'],
      'an onset period overlapping the range is in, and a letter about 2025 indexed in 2020; a 2023 prescription, a 2020 onset and a 2022 Task are not')
    const until2022 = (await (await hub.fetch('Patient/ev-3/$everything?end=2022-12-31')).json()) as any
    t.same(keys(until2022, 'match'), ['Condition/ev-no-onset', 'Condition/ev-onset-2020', 'Patient/ev-3', 'Task/ev-task-2022'])
    const all = (await (await hub.fetch('Patient/ev-3/$everything')).json()) as any
    t.equal(all.total, 9, 'without start or end, all of them')
  })

  t.test('_type and _since narrow the result', async (t) => {
    const typed = (await (await hub.fetch('Patient/ev-1/$everything?_type=Encounter,Condition')).json()) as any
    t.same(keys(typed, 'match'), ['Condition/ev-cond', 'Encounter/ev-enc-2024', 'Encounter/ev-enc-2025'])
    const repeated = (await (await hub.fetch('Patient/ev-1/$everything?_type=Encounter&_type=Condition')).json()) as any
    t.same(keys(repeated, 'match'), keys(typed, 'match'), '_type repeated: each one counts')
    const paged = (await (await hub.fetch('Patient/ev-1/$everything?_type=Encounter&_type=Condition&_count=1')).json()) as any
    const next = new URL(paged.link.find((l: any) => l.relation === 'next').url)
    t.same(next.searchParams.getAll('_type'), ['Encounter', 'Condition'], 'and the next page asks for both')
    const along = (await (await hub.fetch('Patient/ev-1/$everything?_type=Observation,Practitioner')).json()) as any
    t.same(keys(along, 'match'), ['Observation/ev-obs'])
    t.same(keys(along, 'include'), ['Practitioner/ev-dr'], 'a type outside the compartment narrows what comes along')
    const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString())
    const none = (await (await hub.fetch(`Patient/ev-1/$everything?_since=${future}`)).json()) as any
    t.same(keys(none, 'match'), [], 'nothing changed since a minute from now')
    await put({ resourceType: 'Condition', id: 'ev-cond', subject: { reference: 'Patient/ev-1' }, code: { text: 'COPD, severe' } })
    const latest = (await (await hub.fetch(`Patient/ev-1/$everything?_since=${encodeURIComponent(new Date(Date.now() - 2_000).toISOString())}`)).json()) as any
    t.ok(keys(latest, 'match').includes('Condition/ev-cond'), 'the resource changed just now is in')
  })

  t.test('_count pages through everything by the next links, each match once', async (t) => {
    const seen: string[] = []
    let url: string | undefined = `${hub.url}/Patient/ev-1/$everything?_count=2`
    for (let pages = 0; url && pages < 10; pages++) {
      const page = (await (await fetch(url)).json()) as any
      t.ok(keys(page, 'match').length <= 2)
      seen.push(...keys(page, 'match'))
      url = page.link.find((l: any) => l.relation === 'next')?.url
      if (url) t.match(url, /\/Patient\/ev-1\/\$everything\?_count=2&_cursor=/, 'the next page is asked of $everything')
    }
    t.same(seen.sort(), everyMatch)
  })

  t.test('bad input is a 4xx naming the parameter', async (t) => {
    const bad = async (path: string, status: number, expression?: string) => {
      const res = await hub.fetch(path)
      t.equal(res.status, status, path)
      const body = (await res.json()) as any
      t.equal(body.resourceType, 'OperationOutcome')
      if (expression) t.same(body.issue[0].expression, [expression])
    }
    await bad('Patient/ev-1/$everything?start=last-week', 400, 'start')
    await bad('Patient/ev-1/$everything?_since=yesterday', 400, '_since')
    await bad('Patient/ev-1/$everything?_since=2025-13-01T00:00:00Z', 400, '_since')
    await bad('Patient/ev-1/$everything?start=2025-02-30', 400, 'start')
    await bad('Patient/ev-1/$everything?_type=Organization', 400, '_type')
    await bad('Patient/ev-1/$everything?_type=Nonsense', 400, '_type')
    await bad('Patient/ev-1/$everything?_type=', 400, '_type')
    await bad('Patient/ev-1/$everything?colour=blue', 400, 'colour')
    await bad('Patient/nobody/$everything', 404)
    await bad('Encounter/ev-enc-2024/$everything', 404)
  })

  t.test('the CapabilityStatement offers it on Patient', async (t) => {
    const cs = (await (await hub.fetch('metadata')).json()) as any
    const patient = cs.rest[0].resource.find((r: any) => r.type === 'Patient')
    t.ok(patient.operation.some((o: any) => o.name === 'everything' && o.definition === 'http://hl7.org/fhir/OperationDefinition/Patient-everything'))
  })
})
