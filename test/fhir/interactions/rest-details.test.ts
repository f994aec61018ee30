// Details of http.html and bundle.html that conformance suites probe:
// - a transaction resolves conditional references after its writes, so one may name a resource
//   the same Bundle creates (http.html#trules, step 5);
// - urn:uuid fullUrls are replaced in uri/url/oid/uuid elements and narrative links too (SHALL);
// - a batch entry referring to another entry by urn fails alone (entries are independent);
// - duplicate fullUrls make a Bundle invalid (bdl-7);
// - entry.response.lastModified is the instant itself, to the millisecond;
// - an empty transaction answers without an empty entry array;
// - history with _count=0 has no next link; a 405 carries Allow; $validate takes the base profile.
import t from 'tap'
import { startTestServer, type TestServer } from '../../helpers/test-server.js'

const json = { 'content-type': 'application/fhir+json' }
const post = (hub: TestServer, path: string, body: unknown) => hub.fetch(path, { method: 'POST', headers: json, body: JSON.stringify(body) })
const transaction = (entry: unknown[]) => ({ resourceType: 'Bundle', type: 'transaction', entry })
const PATIENT_URN = 'urn:uuid:7f2c1a52-3c59-4d4e-9a0e-000000000001'
/** Type/id from an entry's response.location (…/Type/id/_history/n) */
const keyOf = (location: string) => /([A-Z][A-Za-z]+\/[^/]+)\/_history\/[^/]+$/.exec(location)![1]
const readAt = async (hub: TestServer, location: string) => (await hub.fetch(keyOf(location))).json() as Promise<any>

t.test('REST details', async (t) => {
  const hub = await startTestServer(t)

  t.test('a conditional reference may name a resource the same transaction creates (http.html#trules)', async (t) => {
    const res = await post(hub, '', transaction([
      { fullUrl: PATIENT_URN, resource: { resourceType: 'Patient', identifier: [{ system: 'urn:test:cref', value: 'new-1' }] }, request: { method: 'POST', url: 'Patient' } },
      {
        resource: { resourceType: 'Observation', status: 'final', code: { text: 'pulse' }, subject: { reference: 'Patient?identifier=urn:test:cref|new-1' } },
        request: { method: 'POST', url: 'Observation' },
      },
    ]))
    const body = (await res.json()) as any
    t.equal(res.status, 200, JSON.stringify(body).slice(0, 300))
    const observation = await readAt(hub, body.entry[1].response.location)
    t.equal(observation.subject.reference, keyOf(body.entry[0].response.location))

    const twice = await post(hub, '', transaction([
      { resource: { resourceType: 'Patient', identifier: [{ system: 'urn:test:cref', value: 'new-1' }] }, request: { method: 'POST', url: 'Patient' } },
      { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient?identifier=urn:test:cref|new-1' } }, request: { method: 'POST', url: 'Observation' } },
    ]))
    t.equal(twice.status, 412, 'one stored and one in the Bundle: two matches')

    // the criteria name a reference that is itself a urn in a later entry: links first, then criteria
    const ordered = await post(hub, '', transaction([
      { resource: { resourceType: 'Patient', id: 'cref-x' }, request: { method: 'PUT', url: 'Patient/cref-x' } },
      {
        resource: { resourceType: 'Observation', status: 'final', code: { text: 'y' }, encounter: { reference: 'Encounter?subject=Patient/cref-x' } },
        request: { method: 'POST', url: 'Observation' },
      },
      {
        fullUrl: 'urn:uuid:7f2c1a52-3c59-4d4e-9a0e-000000000009',
        resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/cref-x' } },
        request: { method: 'POST', url: 'Encounter' },
      },
    ]))
    const orderedBody = (await ordered.json()) as any
    t.equal(ordered.status, 200, JSON.stringify(orderedBody).slice(0, 300))

    const chained = await post(hub, '', transaction([
      { resource: { resourceType: 'Patient', identifier: [{ system: 'urn:test:cref', value: 'chained' }] }, request: { method: 'POST', url: 'Patient' } },
      { resource: { resourceType: 'Observation', status: 'final', code: { text: 'c' }, subject: { reference: 'Patient?general-practitioner.name=x' } }, request: { method: 'POST', url: 'Observation' } },
    ]))
    t.equal(chained.status, 400, 'criteria the Bundle cannot be matched against are refused, not taken as no match')

    // a stored resource the Bundle changes counts as the Bundle leaves it
    await hub.fetch('Patient/cref-old', { method: 'PUT', headers: json, body: JSON.stringify({ resourceType: 'Patient', id: 'cref-old', identifier: [{ system: 'urn:test:cref', value: 'moving' }] }) })
    const moved = await post(hub, '', transaction([
      { resource: { resourceType: 'Patient', id: 'cref-old', identifier: [{ system: 'urn:test:cref', value: 'elsewhere' }] }, request: { method: 'PUT', url: 'Patient/cref-old' } },
      { resource: { resourceType: 'Patient', identifier: [{ system: 'urn:test:cref', value: 'moving' }] }, request: { method: 'POST', url: 'Patient' } },
      { resource: { resourceType: 'Observation', status: 'final', code: { text: 'z' }, subject: { reference: 'Patient?identifier=urn:test:cref|moving' } }, request: { method: 'POST', url: 'Observation' } },
    ]))
    const movedBody = (await moved.json()) as any
    t.equal(moved.status, 200, JSON.stringify(movedBody).slice(0, 300))
    const observation2 = await readAt(hub, movedBody.entry[2].response.location)
    t.equal(observation2.subject.reference, keyOf(movedBody.entry[1].response.location), 'the new holder of the identifier, not the one updated away from it')
  })

  t.test('urn:uuid fullUrls are replaced in uri and url elements and in narrative links (http.html#trules)', async (t) => {
    const res = await post(hub, '', transaction([
      { fullUrl: 'urn:uuid:7f2c1a52-3c59-4d4e-9a0e-000000000002', resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
      {
        resource: {
          resourceType: 'Observation', status: 'final', code: { text: 'linked' },
          text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><a href = "urn:uuid:7f2c1a52-3c59-4d4e-9a0e-000000000002">the patient</a></div>' },
          extension: [
            { url: 'http://example.org/uri', valueUri: 'urn:uuid:7f2c1a52-3c59-4d4e-9a0e-000000000002' },
            { url: 'http://example.org/url', valueUrl: 'urn:uuid:7f2c1a52-3c59-4d4e-9a0e-000000000002' },
          ],
          identifier: [{ system: 'urn:ietf:rfc:3986', value: 'urn:uuid:7f2c1a52-3c59-4d4e-9a0e-000000000002' }],
        },
        request: { method: 'POST', url: 'Observation' },
      },
    ]))
    const body = (await res.json()) as any
    t.equal(res.status, 200)
    const patient = keyOf(body.entry[0].response.location)
    const observation = await readAt(hub, body.entry[1].response.location)
    t.same(observation.extension.map((e: any) => e.valueUri ?? e.valueUrl), [patient, patient], 'uri and url values')
    t.match(observation.text.div, `href="${patient}"`, 'the narrative link')
    t.equal(observation.identifier[0].value, 'urn:uuid:7f2c1a52-3c59-4d4e-9a0e-000000000002', 'a string (Identifier.value) is not a link and stays')
  })

  t.test('a batch entry referring to another entry by urn fails alone', async (t) => {
    const res = await post(hub, '', {
      resourceType: 'Bundle', type: 'batch',
      entry: [
        { fullUrl: 'urn:uuid:7f2c1a52-3c59-4d4e-9a0e-000000000003', resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:7f2c1a52-3c59-4d4e-9a0e-000000000003' } }, request: { method: 'POST', url: 'Observation' } },
      ],
    })
    const body = (await res.json()) as any
    t.equal(res.status, 200)
    t.match(body.entry[0].response.status, /^201/)
    t.match(body.entry[1].response.status, /^400/)
    t.same(body.entry[1].response.outcome.issue[0].expression, ['Bundle.entry[1].resource.subject.reference'])
  })

  t.test('duplicate fullUrls make the Bundle invalid (bdl-7)', async (t) => {
    const before = await hub.rows()
    const urn = 'urn:uuid:7f2c1a52-3c59-4d4e-9a0e-000000000004'
    const res = await post(hub, '', transaction([
      { fullUrl: urn, resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
      { fullUrl: urn, resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
    ]))
    t.equal(res.status, 400)
    t.same(((await res.json()) as any).issue[0].expression, ['Bundle.entry[1].fullUrl'])
    t.equal(await hub.rows(), before, 'nothing written')
  })

  t.test('entry.response.lastModified is meta.lastUpdated, to the millisecond; an empty transaction has no entry array', async (t) => {
    const res = await post(hub, '', transaction([{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }]))
    const body = (await res.json()) as any
    const stored = await readAt(hub, body.entry[0].response.location)
    t.equal(body.entry[0].response.lastModified, stored.meta.lastUpdated)
    const empty = (await (await post(hub, '', transaction([]))).json()) as any
    t.equal(empty.type, 'transaction-response')
    t.notOk('entry' in empty)
  })

  t.test('a relative reference resolves against the RESTful fullUrl of its entry (bundle.html#references)', async (t) => {
    const res = await post(hub, '', transaction([
      { fullUrl: 'http://example.org/fhir/Patient/ext-2', resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
      {
        fullUrl: 'http://example.org/fhir/Observation/ext-o2',
        resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/ext-2' }, focus: [{ reference: 'http://example.org/fhir/Patient/ext-2' }] },
        request: { method: 'POST', url: 'Observation' },
      },
    ]))
    const body = (await res.json()) as any
    t.equal(res.status, 200, JSON.stringify(body).slice(0, 300))
    const patient = keyOf(body.entry[0].response.location)
    const observation = await readAt(hub, body.entry[1].response.location)
    t.equal(observation.subject.reference, patient, 'Patient/ext-2 read as http://example.org/fhir/Patient/ext-2')
    t.equal(observation.focus[0].reference, patient)
  })

  t.test('If-None-Exist takes the criteria with or without the type in front', async (t) => {
    const patient = { resourceType: 'Patient', identifier: [{ system: 'urn:test:ine', value: 'one' }] }
    const first = await hub.fetch('Patient', { method: 'POST', headers: { ...json, 'if-none-exist': 'identifier=urn:test:ine|one' }, body: JSON.stringify(patient) })
    t.equal(first.status, 201)
    for (const header of ['Patient?identifier=urn:test:ine|one', '?identifier=urn:test:ine|one']) {
      const again = await hub.fetch('Patient', { method: 'POST', headers: { ...json, 'if-none-exist': header }, body: JSON.stringify(patient) })
      t.equal(again.status, 200, header)
    }
  })

  t.test('a Binary read without a FHIR type in Accept answers with its own content (binary.html)', async (t) => {
    const pdf = Buffer.from('%PDF-1.4 fake \u00e9 bytes\x00\xff', 'latin1')
    const put = await hub.fetch('Binary/letter-1', {
      method: 'PUT', headers: json, body: JSON.stringify({ resourceType: 'Binary', id: 'letter-1', contentType: 'application/pdf', data: pdf.toString('base64') }),
    })
    t.equal(put.status, 201)
    for (const accept of [undefined, '*/*', 'application/pdf', 'text/html,application/xhtml+xml,*/*;q=0.8']) {
      const res = await hub.fetch('Binary/letter-1', accept ? { headers: { accept } } : {})
      t.equal(res.status, 200, `Accept ${accept}`)
      t.equal(res.headers.get('content-type'), 'application/pdf')
      t.ok(res.headers.get('etag'), 'with its ETag')
      t.equal(res.headers.get('x-content-type-options'), 'nosniff', 'no type guessing')
      t.equal(res.headers.get('content-disposition'), null, 'a PDF is shown inline')
      t.equal(res.headers.get('vary'), 'Accept')
      t.same(Buffer.from(await res.arrayBuffer()), pdf, 'the bytes as stored')
    }
    const asFhir = await hub.fetch('Binary/letter-1', { headers: { accept: 'application/fhir+json' } })
    t.match(asFhir.headers.get('content-type'), /application\/fhir\+json/)
    t.equal(((await asFhir.json()) as any).contentType, 'application/pdf', 'asked for FHIR: the resource')
    const formatted = await hub.fetch('Binary/letter-1?_format=json')
    t.equal(((await formatted.json()) as any).resourceType, 'Binary', '_format asks for FHIR too')
    const version = await hub.fetch('Binary/letter-1/_history/1')
    t.equal(version.headers.get('content-type'), 'application/pdf', 'vread')
    const head = await hub.fetch('Binary/letter-1', { method: 'HEAD' })
    t.equal(head.status, 200)
    t.equal(head.headers.get('content-length'), String(pdf.length), 'HEAD: the length of the content')
    for (const [id, contentType] of [['page-1', 'text/html'], ['drawing-1', 'image/svg+xml'], ['odd-1', 'text/\u2603']]) {
      await hub.fetch(`Binary/${id}`, { method: 'PUT', headers: json, body: JSON.stringify({ resourceType: 'Binary', id, contentType, data: Buffer.from('<script>alert(1)</script>').toString('base64') }) })
      for (const method of ['GET', 'HEAD']) {
        const res = await hub.fetch(`Binary/${id}`, { method })
        t.equal(res.status, 200, `${contentType} ${method}`)
        t.equal(res.headers.get('content-disposition'), 'attachment', `${contentType}: a download, not a page of this origin`)
        t.match(res.headers.get('content-security-policy'), /sandbox/, `${contentType}: and sandboxed`)
      }
    }
    t.equal((await hub.fetch('Binary/odd-1')).headers.get('content-type'), 'application/octet-stream', 'a contentType that is not a media type is served as bytes')
    const missing = await hub.fetch('Binary/nothing-here')
    t.equal(missing.status, 404)
    t.equal(((await missing.json()) as any).resourceType, 'OperationOutcome', 'errors stay OperationOutcomes')
  })

  t.test('a Binary may be written as its own content (binary.html)', async (t) => {
    const bytes = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0xfe, 0x80])
    const created = await hub.fetch('Binary', { method: 'POST', headers: { 'content-type': 'application/pdf', 'x-security-context': 'Patient/sd-owner' }, body: bytes })
    t.equal(created.status, 201)
    const location = created.headers.get('location')!
    const stored = (await (await hub.fetch(keyOf(location), { headers: { accept: 'application/fhir+json' } })).json()) as any
    t.same({ contentType: stored.contentType, securityContext: stored.securityContext }, { contentType: 'application/pdf', securityContext: { reference: 'Patient/sd-owner' } })
    t.same(Buffer.from(stored.data, 'base64'), bytes, 'the bytes, base64 in data')
    const back = await hub.fetch(keyOf(location), { headers: { accept: 'application/pdf' } })
    t.same(Buffer.from(await back.arrayBuffer()), bytes, 'and read back natively')

    const put = await hub.fetch('Binary/note-1', { method: 'PUT', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Seen in clinic, é' })
    t.equal(put.status, 201, 'update-as-create with the id of the URL')
    const note = (await (await hub.fetch('Binary/note-1', { headers: { accept: 'application/fhir+json' } })).json()) as any
    t.equal(note.contentType, 'text/plain; charset=utf-8')
    t.equal(Buffer.from(note.data, 'base64').toString('utf8'), 'Seen in clinic, é')

    const elsewhere = await hub.fetch('Patient', { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: bytes })
    t.equal(elsewhere.status, 415, 'only Binary takes other content')
    const badContext = await hub.fetch('Binary', { method: 'POST', headers: { 'content-type': 'image/png', 'x-security-context': 'not a reference' }, body: bytes })
    t.equal(badContext.status, 400)
  })

  t.test('history with _count=0 gives the total and no next page', async (t) => {
    for (const path of ['_history?_count=0', 'Patient/_history?_count=0']) {
      const body = (await (await hub.fetch(path)).json()) as any
      t.ok(body.total > 0, `${path}: total`)
      t.same(body.link.map((l: any) => l.relation), ['self'], `${path}: no next link`)
    }
  })

  t.test('405 names the allowed methods in Allow (RFC 9110 §15.5.6)', async (t) => {
    const res = await hub.fetch('Patient/some-id', { method: 'POST', headers: json, body: '{}' })
    t.equal(res.status, 405)
    const allow = (res.headers.get('allow') ?? '').split(', ')
    for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH']) t.ok(allow.includes(method), `${method} allowed`)
    t.notOk(allow.includes('POST'))
  })

  t.test('$validate takes the base profile the CapabilityStatement names', async (t) => {
    const validate = (profile: string, resource: unknown) =>
      post(hub, 'Patient/$validate', { resourceType: 'Parameters', parameter: [{ name: 'resource', resource }, { name: 'profile', valueUri: profile }] })
    const ok = await validate('http://hl7.org/fhir/StructureDefinition/Patient', { resourceType: 'Patient', gender: 'female' })
    t.equal(ok.status, 200)
    t.notOk(((await ok.json()) as any).issue.some((i: any) => i.severity === 'error'))
    const bad = await validate('http://hl7.org/fhir/StructureDefinition/Patient', { resourceType: 'Patient', gender: 'banana' })
    t.ok(((await bad.json()) as any).issue.some((i: any) => i.severity === 'error'), 'the base checks still apply')
    const other = await validate('http://hl7.org/fhir/StructureDefinition/Observation', { resourceType: 'Patient' })
    t.ok(((await other.json()) as any).issue.some((i: any) => i.severity === 'error' && /for Observation/.test(i.diagnostics)), "another type's base profile does not fit")
  })
})
