// transaction and batch Bundles — http.html#transaction, http.html#trules
import t from 'tap'
import { startTestServer } from '../../helpers/test-server.js'

const post = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/fhir+json', ...headers },
  body: JSON.stringify(body),
})

t.test('transactions', async (t) => {
  const hub = await startTestServer(t)

  t.test('rewrites urn:uuid references to the ids it assigns and answers in request order', async (t) => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111',
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'BP' }, subject: { reference: 'urn:uuid:22222222-2222-4222-8222-222222222222' } },
          request: { method: 'POST', url: 'Observation' },
        },
        {
          fullUrl: 'urn:uuid:22222222-2222-4222-8222-222222222222',
          resource: { resourceType: 'Patient', name: [{ family: 'Okafor' }] },
          request: { method: 'POST', url: 'Patient' },
        },
      ],
    }
    const res: any = await hub.client.transaction({ body: bundle })
    t.equal(res.type, 'transaction-response')
    t.equal(res.entry.length, 2)
    t.match(res.entry[0].response.status, /^201/)
    t.match(res.entry[1].response.location, /Patient\/[^/]+\/_history\/1$/)
    const patientId = res.entry[1].resource.id
    const obsId = res.entry[0].resource.id
    const obs: any = await hub.client.read({ resourceType: 'Observation', id: obsId })
    t.equal(obs.subject.reference, `Patient/${patientId}`)
  })

  t.test('resolves conditional references and ifNoneExist against stored data', async (t) => {
    await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', identifier: [{ system: 'urn:nhs', value: '9449305552' }] } })
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:33333333-3333-4333-8333-333333333333',
          resource: { resourceType: 'Patient', identifier: [{ system: 'urn:nhs', value: '9449305552' }] },
          request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:nhs|9449305552' },
        },
        {
          resource: { resourceType: 'Condition', subject: { reference: 'Patient?identifier=urn:nhs|9449305552' }, code: { text: 'COPD' } },
          request: { method: 'POST', url: 'Condition' },
        },
        {
          resource: { resourceType: 'Condition', subject: { reference: 'urn:uuid:33333333-3333-4333-8333-333333333333' }, code: { text: 'HF' } },
          request: { method: 'POST', url: 'Condition' },
        },
      ],
    }
    const res: any = await hub.client.transaction({ body: bundle })
    t.match(res.entry[0].response.status, /^200/, 'the existing patient is reused')
    const existingId = res.entry[0].resource.id
    t.equal(res.entry[1].resource.subject.reference, `Patient/${existingId}`)
    t.equal(res.entry[2].resource.subject.reference, `Patient/${existingId}`)
    const patients: any = await hub.client.search({ resourceType: 'Patient', searchParams: { identifier: 'urn:nhs|9449305552' } })
    t.equal(patients.total, 1)
  })

  t.test('is all or nothing: a failing last entry leaves no trace', async (t) => {
    const before = [await hub.rows('resource'), await hub.rows('resource_history')]
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', id: 'tx-put' }, request: { method: 'PUT', url: 'Patient/tx-put' } },
        { request: { method: 'DELETE', url: 'Patient/nothing' } },
        { resource: { resourceType: 'Patient', id: 'tx-put-2' }, request: { method: 'PUT', url: 'Patient/tx-put-2', ifMatch: 'W/"7"' } },
      ],
    }
    const res = await hub.fetch('', post(bundle))
    t.equal(res.status, 412)
    const outcome: any = await res.json()
    t.equal(outcome.resourceType, 'OperationOutcome')
    t.match(outcome.issue[0].expression[0], /^Bundle\.entry\[3\]/)
    t.same([await hub.rows('resource'), await hub.rows('resource_history')], before)
  })

  t.test('processes DELETE before POST before PUT before GET (http.html#trules)', async (t) => {
    await hub.client.update({ resourceType: 'Patient', id: 'order-a', body: { resourceType: 'Patient', id: 'order-a', active: true } })
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'GET', url: 'Patient/order-b' } },
        { resource: { resourceType: 'Patient', id: 'order-b', active: false }, request: { method: 'PUT', url: 'Patient/order-b' } },
        { request: { method: 'DELETE', url: 'Patient/order-a' } },
      ],
    }
    const res: any = await hub.client.transaction({ body: bundle })
    t.match(res.entry[0].response.status, /^200/, 'the GET sees the PUT of the same transaction')
    t.equal(res.entry[0].resource.active, false)
    t.match(res.entry[2].response.status, /^200/)
    t.equal((await hub.fetch('Patient/order-a')).status, 410)
  })

  t.test('refuses two entries that write the same resource', async (t) => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', id: 'twice' }, request: { method: 'PUT', url: 'Patient/twice' } },
        { resource: { resourceType: 'Patient', id: 'twice' }, request: { method: 'PUT', url: 'Patient/twice' } },
      ],
    }
    const res = await hub.fetch('', post(bundle))
    t.equal(res.status, 400)
  })

  t.test('an unresolved urn:uuid reference fails the transaction', async (t) => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:44444444-4444-4444-8444-444444444444' } },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    }
    const res = await hub.fetch('', post(bundle))
    t.equal(res.status, 400)
    const body: any = await res.json()
    t.same(body.issue[0].expression, ['Bundle.entry[0].resource.subject.reference'])
  })

  t.test('Prefer: return=minimal leaves resources out of the response', async (t) => {
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }] }
    const res: any = await (await hub.fetch('', post(bundle, { prefer: 'return=minimal' }))).json()
    t.notOk(res.entry[0].resource)
    t.ok(res.entry[0].response.location)
  })
})

t.test('batch entries succeed or fail on their own', async (t) => {
  const hub = await startTestServer(t)
  const bundle = {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [
      { resource: { resourceType: 'Patient', gender: 'female' }, request: { method: 'POST', url: 'Patient' } },
      { resource: { resourceType: 'Patient', gender: 'not-a-gender' }, request: { method: 'POST', url: 'Patient' } },
      { request: { method: 'GET', url: 'Patient/missing' } },
      { request: { method: 'GET', url: 'metadata' } },
    ],
  }
  const res: any = await hub.client.batch({ body: bundle })
  t.equal(res.type, 'batch-response')
  t.match(res.entry[0].response.status, /^201/)
  t.match(res.entry[1].response.status, /^400/)
  t.equal(res.entry[1].response.outcome.resourceType, 'OperationOutcome')
  t.match(res.entry[2].response.status, /^404/)
  t.match(res.entry[3].response.status, /^200/)
  t.equal(res.entry[3].resource.resourceType, 'CapabilityStatement')
  t.equal(await hub.rows(), 1)
})

t.test('a batch whose entry has no request, or a method outside HTTPVerb, is an invalid Bundle: 400, nothing runs (http.html#transaction)', async (t) => {
  const hub = await startTestServer(t)
  const post = { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }
  for (const [bad, where] of [
    [{ request: { method: 'UNSUPPORTED', url: 'Patient' } }, 'Bundle.entry[1].request.method'],
    [{ resource: { resourceType: 'Patient' } }, 'Bundle.entry[1].request'],
  ] as const) {
    for (const type of ['batch', 'transaction']) {
      const res = await hub.fetch('', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Bundle', type, entry: [post, bad] }) })
      t.equal(res.status, 400, `${type}: ${where}`)
      t.same(((await res.json()) as any).issue[0].expression, [where])
    }
  }
  t.equal(await hub.rows(), 0, 'the valid entry did not run either')
})
