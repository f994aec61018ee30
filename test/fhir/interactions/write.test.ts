// create, update, patch, delete and their conditional forms — http.html#create, #update,
// #patch, #delete, #ccreate, #cond-update, #cdelete
import t from 'tap'
import { startTestServer } from '../../helpers/test-server.js'

const NHS = 'https://fhir.nhs.uk/Id/nhs-number'
const json = (body: unknown, headers: Record<string, string> = {}) => ({
  headers: { 'content-type': 'application/fhir+json', ...headers },
  body: JSON.stringify(body),
})

t.test('writes', async (t) => {
  const hub = await startTestServer(t)

  t.test('create assigns the id, ignores a client id and meta, and answers 201 with Location and ETag', async (t) => {
    const res = await hub.fetch('Patient', {
      method: 'POST',
      ...json({ resourceType: 'Patient', id: 'client-chosen', meta: { versionId: '99', lastUpdated: '2001-01-01T00:00:00Z' }, active: true }),
    })
    t.equal(res.status, 201)
    const body: any = await res.json()
    t.not(body.id, 'client-chosen')
    t.equal(body.meta.versionId, '1')
    t.not(body.meta.lastUpdated, '2001-01-01T00:00:00Z')
    t.equal(res.headers.get('location'), `${hub.url}/Patient/${body.id}/_history/1`)
    t.equal(res.headers.get('etag'), 'W/"1"')
  })

  t.test('update makes a new version; update of an unknown id creates it (update-as-create)', async (t) => {
    const created: any = await hub.client.update({ resourceType: 'Patient', id: 'gp-patient-1', body: { resourceType: 'Patient', id: 'gp-patient-1', gender: 'female' } })
    t.equal(created.meta.versionId, '1')
    const updated: any = await hub.client.update({ resourceType: 'Patient', id: 'gp-patient-1', body: { resourceType: 'Patient', id: 'gp-patient-1', gender: 'male' } })
    t.equal(updated.meta.versionId, '2')
    t.equal(updated.gender, 'male')
    const first = await hub.fetch('Patient/gp-patient-3', { method: 'PUT', ...json({ resourceType: 'Patient', id: 'gp-patient-3' }) })
    t.equal(first.status, 201, 'update-as-create answers 201')
  })

  t.test('If-Match: matching version updates, stale version gets 412', async (t) => {
    await hub.client.update({ resourceType: 'Patient', id: 'locked', body: { resourceType: 'Patient', id: 'locked' } })
    const ok = await hub.fetch('Patient/locked', { method: 'PUT', ...json({ resourceType: 'Patient', id: 'locked', active: true }, { 'if-match': 'W/"1"' }) })
    t.equal(ok.status, 200)
    const stale = await hub.fetch('Patient/locked', { method: 'PUT', ...json({ resourceType: 'Patient', id: 'locked', active: false }, { 'if-match': 'W/"1"' }) })
    t.equal(stale.status, 412)
    t.equal(((await stale.json()) as any).resourceType, 'OperationOutcome')
    const current: any = await hub.client.read({ resourceType: 'Patient', id: 'locked' })
    t.equal(current.active, true)
  })

  t.test('If-Match naming no version (W/"0", W/"old") is a 412 like a stale one; * needs the resource to exist (http.html#concurrency)', async (t) => {
    await hub.client.update({ resourceType: 'Patient', id: 'tagged', body: { resourceType: 'Patient', id: 'tagged' } })
    const put = (id: string, headers: Record<string, string>) => hub.fetch(`Patient/${id}`, { method: 'PUT', ...json({ resourceType: 'Patient', id, active: true }, headers) })
    for (const tag of ['W/"0"', 'W/"outdated-version"', '"2"']) t.equal((await put('tagged', { 'if-match': tag })).status, 412, tag)
    t.equal((await put('tagged', { 'if-match': '*' })).status, 200, '* matches the current version')
    t.equal((await put('tagged-new', { 'if-match': '*' })).status, 412, '* on a resource that does not exist')
    t.equal((await put('tagged-new', { 'if-match': 'W/"1"' })).status, 412, 'a version of a resource that does not exist')
  })

  t.test('a deleted resource comes back with a PUT whose If-Match is the deletion’s ETag (http.html#concurrency)', async (t) => {
    await hub.client.update({ resourceType: 'Patient', id: 'lazarus', body: { resourceType: 'Patient', id: 'lazarus' } })
    const del = await hub.fetch('Patient/lazarus', { method: 'DELETE' })
    t.equal(del.headers.get('etag'), 'W/"2"')
    const stale = await hub.fetch('Patient/lazarus', { method: 'PUT', ...json({ resourceType: 'Patient', id: 'lazarus' }, { 'if-match': 'W/"1"' }) })
    t.equal(stale.status, 412, 'the version before the delete is stale')
    const back = await hub.fetch('Patient/lazarus', { method: 'PUT', ...json({ resourceType: 'Patient', id: 'lazarus', active: true }, { 'if-match': 'W/"2"' }) })
    t.ok(back.status === 200 || back.status === 201, `brought back (${back.status})`)
    t.equal(back.headers.get('etag'), 'W/"3"')
    t.equal(((await hub.client.read({ resourceType: 'Patient', id: 'lazarus' })) as any).active, true)
  })

  t.test('If-None-Match on PUT refuses to overwrite the version it names, or any with * (RFC 9110 §13.1.2)', async (t) => {
    const put = (headers: Record<string, string>) => hub.fetch('Patient/guarded', { method: 'PUT', ...json({ resourceType: 'Patient', id: 'guarded' }, headers) })
    t.equal((await put({ 'if-none-match': '*' })).status, 201, '* creates what does not exist')
    t.equal((await put({ 'if-none-match': '*' })).status, 412, '* does not overwrite')
    t.equal((await put({ 'if-none-match': 'W/"1"' })).status, 412, 'the current version named')
    t.equal((await put({ 'if-none-match': 'W/"7"' })).status, 200, 'another version named')
    const read = (tag: string) => hub.fetch('Patient/guarded', { headers: { 'if-none-match': tag } })
    t.equal((await read('W/"2"')).status, 304, 'a read naming the current version')
    t.equal((await read('W/"banana"')).status, 200, 'a read naming no version')
    t.equal((await read('*')).status, 304, 'a read with *')
  })

  t.test('If-None-Match on a conditional update guards the resource the criteria find, also in a transaction', async (t) => {
    const body = { resourceType: 'Patient', identifier: [{ system: 'urn:test:guard', value: 'g-1' }] }
    const put = (headers: Record<string, string>) => hub.fetch('Patient?identifier=urn:test:guard|g-1', { method: 'PUT', ...json(body, headers) })
    const malformed = await hub.fetch('Patient?identifier=urn:test:guard|nobody', { method: 'PUT', ...json(body, { 'if-none-match': 'garbage' }) })
    t.equal(malformed.status, 400, 'a malformed tag is a 400 even with nothing to compare it with')
    t.equal((await put({ 'if-none-match': '*' })).status, 201, 'no match: created')
    t.equal((await put({ 'if-none-match': '*' })).status, 412, 'a match: * does not overwrite it')
    t.equal((await put({ 'if-none-match': 'W/"1"' })).status, 412, 'the matching version named')
    t.equal((await put({ 'if-none-match': 'W/"9"' })).status, 200, 'another version named')
    const tx = await hub.fetch('', {
      method: 'POST',
      ...json({
        resourceType: 'Bundle', type: 'transaction',
        entry: [{ resource: body, request: { method: 'PUT', url: 'Patient?identifier=urn:test:guard|g-1', ifNoneMatch: '*' } }],
      }),
    })
    t.equal(tx.status, 412, 'the transaction fails as a whole')
    const found: any = await (await hub.fetch('Patient?identifier=urn:test:guard|g-1')).json()
    t.equal(found.entry[0].resource.meta.versionId, '2', 'nothing written by the refused requests')
  })

  t.test('Prefer: return=minimal sends no body, return=OperationOutcome sends an outcome', async (t) => {
    const minimal = await hub.fetch('Patient', { method: 'POST', ...json({ resourceType: 'Patient' }, { prefer: 'return=minimal' }) })
    t.equal(minimal.status, 201)
    t.equal(await minimal.text(), '')
    t.ok(minimal.headers.get('location'))
    const oo = await hub.fetch('Patient', { method: 'POST', ...json({ resourceType: 'Patient' }, { prefer: 'return=OperationOutcome' }) })
    t.equal(((await oo.json()) as any).resourceType, 'OperationOutcome')
  })

  t.test('JSON Patch applies operations, bumps the version, and a failed test op is 422', async (t) => {
    const p: any = await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', active: true, name: [{ family: 'Ng' }] } })
    const res = await hub.fetch(`Patient/${p.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'replace', path: '/active', value: false }, { op: 'add', path: '/name/0/given', value: ['Lin'] }]),
    })
    t.equal(res.status, 200)
    const body: any = await res.json()
    t.equal(body.active, false)
    t.same(body.name[0].given, ['Lin'])
    t.equal(body.meta.versionId, '2')
    const failed = await hub.fetch(`Patient/${p.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'test', path: '/active', value: true }]),
    })
    t.equal(failed.status, 422)
    const invalid = await hub.fetch(`Patient/${p.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'add', path: '/gender', value: 'robot' }]),
    })
    t.equal(invalid.status, 422, 'a patch whose result is invalid is refused')
    t.same(((await invalid.json()) as any).issue[0].expression, ['Patient.gender'])
    t.equal(((await hub.client.read({ resourceType: 'Patient', id: p.id })) as any).meta.versionId, '2')
  })

  t.test('FHIRPath Patch (fhirpatch.html): add, insert, delete, replace and move, in order', async (t) => {
    const NHS_ID = { system: NHS, value: '9434765919' }
    const p: any = await hub.client.create({
      resourceType: 'Patient',
      body: {
        resourceType: 'Patient', active: true, deceasedBoolean: false, name: [{ family: 'Okafor', given: ['Ada'] }],
        identifier: [{ system: 'https://example.org/mrn', value: 'M1' }, { system: 'https://example.org/old', value: 'O1' }],
      },
    })
    const op = (type: string, path: string, extra: object[] = []) => ({ name: 'operation', part: [{ name: 'type', valueCode: type }, { name: 'path', valueString: path }, ...extra] })
    const fhirPatch = (id: string, ops: object[]) =>
      hub.fetch(`Patient/${id}`, { method: 'PATCH', ...json({ resourceType: 'Parameters', parameter: ops }) })
    const res = await fhirPatch(p.id, [
      op('add', 'Patient', [{ name: 'name', valueString: 'birthDate' }, { name: 'value', valueDate: '1950-02-03' }]),
      op('insert', 'Patient.identifier', [{ name: 'index', valueInteger: 0 }, { name: 'value', part: [{ name: 'system', valueUri: NHS_ID.system }, { name: 'value', valueString: NHS_ID.value }] }]),
      op('delete', "Patient.identifier.where(system='https://example.org/old')"),
      op('delete', "Patient.identifier.where(system='https://example.org/none')"),
      op('replace', 'Patient.active', [{ name: 'value', valueBoolean: false }]),
      op('replace', 'Patient.deceased', [{ name: 'value', valueDateTime: '2026-11-30' }]),
      op('add', 'Patient.name[0]', [{ name: 'name', valueString: 'given' }, { name: 'value', valueString: 'Grace' }]),
      op('move', 'Patient.identifier', [{ name: 'source', valueInteger: 0 }, { name: 'destination', valueInteger: 1 }]),
      op('add', 'Patient', [{ name: 'name', valueString: 'telecom' }, { name: 'value', part: [{ name: 'system', valueCode: 'phone' }, { name: 'value', valueString: '0161 000 0000' }] }]),
    ])
    t.equal(res.status, 200)
    const body: any = await res.json()
    t.equal(body.birthDate, '1950-02-03', 'add a primitive')
    t.same(body.identifier, [{ system: 'https://example.org/mrn', value: 'M1' }, NHS_ID], 'insert at 0, delete by where(), then move 0 → 1')
    t.equal(body.active, false, 'replace')
    t.equal(body.deceasedDateTime, '2026-11-30', 'replace a choice element changes its type')
    t.notOk('deceasedBoolean' in body)
    t.same(body.name[0].given, ['Ada', 'Grace'], 'add to a list appends')
    t.same(body.telecom, [{ system: 'phone', value: '0161 000 0000' }], 'a repeating element added as a list')
    t.equal(body.meta.versionId, '2')

    const refused = async (ops: object[], status: number, what: string) => {
      const r = await fhirPatch(p.id, ops)
      t.equal(r.status, status, what)
      t.equal(((await r.json()) as any).resourceType, 'OperationOutcome')
    }
    await refused([op('replace', 'Patient.multipleBirth', [{ name: 'value', valueBoolean: true }])], 422, 'replace of nothing')
    await refused([op('delete', 'Patient.identifier')], 422, 'delete of two elements')
    await refused([op('replace', 'Patient.gender', [{ name: 'value', valueCode: 'robot' }])], 422, 'replace of nothing (gender is absent)')
    await refused([op('add', 'Patient', [{ name: 'name', valueString: 'gender' }, { name: 'value', valueCode: 'robot' }])], 422, 'a result that is not a valid Patient')
    await refused([op('insert', 'Patient.identifier', [{ name: 'index', valueInteger: 9 }, { name: 'value', part: [{ name: 'value', valueString: 'x' }] }])], 422, 'insert past the end')
    await refused([op('explode', 'Patient')], 400, 'an unknown operation type')
    await refused([op('delete', 'Patient.name.where(')], 400, 'a path that is not FHIRPath')
    await refused([{ name: 'operation', part: [{ name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Patient' }] }], 400, 'add without name and value')
    await refused([op('replace', 'Patient.id', [{ name: 'value', valueId: 'other' }])], 422, 'changing the id')
    t.equal(((await hub.client.read({ resourceType: 'Patient', id: p.id })) as any).meta.versionId, '2', 'nothing refused was written')

    for (const malformed of [{ resourceType: 'Parameters', parameter: {} }, { resourceType: 'Parameters', parameter: [null] }, { resourceType: 'Parameters', parameter: [{ name: 'operation', part: {} }] }]) {
      const r = await hub.fetch(`Patient/${p.id}`, { method: 'PATCH', ...json(malformed) })
      t.equal(r.status, 400, `malformed: ${JSON.stringify(malformed.parameter)}`)
    }
    await refused([op('add', 'Patient.__proto__', [{ name: 'name', valueString: 'polluted' }, { name: 'value', valueString: 'yes' }])], 422, 'no way into the object prototype')
    t.equal(({} as any).polluted, undefined, 'Object.prototype untouched')
    await refused([op('add', 'Patient', [{ name: 'name', valueString: '__proto__' }, { name: 'value', valueString: 'x' }])], 400, 'an add name that is no element')
    await refused([op('replace', 'Patient', [{ name: 'value', valueString: 'x' }])], 422, 'replacing the whole resource')
    await refused([op('delete', 'Patient.name.descendants()')], 422, 'a function a patch path does not follow')
    await refused([op('delete', 'Patient.nonsense')], 422, 'an element the type does not have')
    await refused([op('delete', '%resource.name')], 422, 'a path from a variable')
    await refused([op('delete', '$this.name')], 422, 'a path from $this')

    const tx = await hub.fetch('', {
      method: 'POST',
      ...json({ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'PATCH', url: `Patient/${p.id}` }, resource: { resourceType: 'Parameters', parameter: [op('replace', 'Patient.active', [{ name: 'value', valueBoolean: true }])] } }] }),
    })
    t.equal(tx.status, 200, 'a FHIRPath Patch in a transaction, as its Parameters')
    t.equal(((await hub.client.read({ resourceType: 'Patient', id: p.id })) as any).active, true)
  })

  t.test('FHIRPath Patch: repeated values, parts built by their types, primitive extensions kept in step, extension(url)', async (t) => {
    const op = (type: string, path: string, extra: object[] = []) => ({ name: 'operation', part: [{ name: 'type', valueCode: type }, { name: 'path', valueString: path }, ...extra] })
    const EXT = 'https://example.org/fhir/StructureDefinition/pronoun'
    const p: any = await hub.client.create({
      resourceType: 'Patient',
      body: {
        resourceType: 'Patient', name: [{ family: 'Ives', given: ['X', 'Y', 'X'], _given: [null, { extension: [{ url: 'https://example.org/x', valueString: 'y-ext' }] }, null] }],
        extension: [{ url: EXT, valueString: 'she' }, { url: 'https://example.org/other', valueString: 'keep' }],
      },
    })
    const res = await hub.fetch(`Patient/${p.id}`, {
      method: 'PATCH',
      ...json({
        resourceType: 'Parameters',
        parameter: [
          op('replace', 'Patient.name[0].given.last()', [{ name: 'value', valueString: 'Z' }]),
          op('move', 'Patient.name[0].given', [{ name: 'source', valueInteger: 1 }, { name: 'destination', valueInteger: 0 }]),
          op('delete', `Patient.extension('${EXT}')`),
          op('add', 'Patient', [{ name: 'name', valueString: 'contact' }, {
            name: 'value',
            part: [{ name: 'name', part: [{ name: 'family', valueString: 'Ives' }, { name: 'given', valueString: 'Pat' }] }, { name: 'gender', valueCode: 'other' }],
          }]),
        ],
      }),
    })
    t.equal(res.status, 200)
    const body: any = await res.json()
    t.same(body.name[0].given, ['Y', 'X', 'Z'], 'last() is the third X, not the first')
    t.same(body.name[0]._given, [{ extension: [{ url: 'https://example.org/x', valueString: 'y-ext' }] }, null, null], "Y's extension moved with Y")
    t.same(body.extension, [{ url: 'https://example.org/other', valueString: 'keep' }], "extension('url') names one extension")
    t.same(body.contact, [{ name: { family: 'Ives', given: ['Pat'] }, gender: 'other' }], 'a contact built from parts: given is a list, name is not')
    const withContained: any = await hub.client.create({
      resourceType: 'Observation',
      body: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, contained: [{ resourceType: 'Patient', id: 'c1', name: [{ family: 'Old' }] }], subject: { reference: '#c1' } },
    })
    const inner = await hub.fetch(`Observation/${withContained.id}`, {
      method: 'PATCH',
      ...json({ resourceType: 'Parameters', parameter: [op('replace', 'Observation.contained[0].name[0].family', [{ name: 'value', valueString: 'New' }])] }),
    })
    t.equal(inner.status, 200, 'a path into a contained resource follows its own type')
    t.equal(((await inner.json()) as any).contained[0].name[0].family, 'New')
  })

  t.test('FHIRPath Patch in a transaction: urn:uuid references in its values are resolved (http.html#trules)', async (t) => {
    const p: any = await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient' } })
    const res = await hub.fetch('', {
      method: 'POST',
      ...json({
        resourceType: 'Bundle', type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:8a2c3f7e-0a4b-4a63-9f55-9b1f3e7d2c11', resource: { resourceType: 'Organization', name: 'Practice' }, request: { method: 'POST', url: 'Organization' } },
          {
            request: { method: 'PATCH', url: `Patient/${p.id}` },
            resource: { resourceType: 'Parameters', parameter: [{ name: 'operation', part: [
              { name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Patient' }, { name: 'name', valueString: 'managingOrganization' },
              { name: 'value', valueReference: { reference: 'urn:uuid:8a2c3f7e-0a4b-4a63-9f55-9b1f3e7d2c11' } },
            ] }] },
          },
        ],
      }),
    })
    t.equal(res.status, 200)
    const bundle: any = await res.json()
    const orgId = /Organization\/([^/]+)/.exec(bundle.entry[0].response.location)![1]
    t.equal(((await hub.client.read({ resourceType: 'Patient', id: p.id })) as any).managingOrganization.reference, `Organization/${orgId}`)
  })

  t.test('delete keeps history; deleting again or deleting nothing succeeds', async (t) => {
    const p: any = await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient' } })
    const res = await hub.fetch(`Patient/${p.id}`, { method: 'DELETE' })
    t.equal(res.status, 200)
    t.equal(res.headers.get('etag'), 'W/"2"')
    t.equal((await hub.fetch(`Patient/${p.id}`, { method: 'DELETE' })).status, 200)
    t.equal((await hub.fetch('Patient/never-was', { method: 'DELETE' })).status, 200)
    const history: any = await hub.client.resourceHistory({ resourceType: 'Patient', id: p.id })
    t.equal(history.total, 2)
    t.equal(history.entry[0].request.method, 'DELETE')
    t.notOk(history.entry[0].resource)
    const revived = await hub.fetch(`Patient/${p.id}`, { method: 'PUT', ...json({ resourceType: 'Patient', id: p.id, active: true }) })
    t.equal(revived.status, 201, 'an update brings a deleted resource back as version 3')
    t.equal(((await revived.json()) as any).meta.versionId, '3')
  })

  t.test('conditional create returns the existing match instead of creating', async (t) => {
    const body = { resourceType: 'Patient', identifier: [{ system: NHS, value: '9000000009' }] }
    const first = await hub.fetch('Patient', { method: 'POST', ...json(body, { 'if-none-exist': `identifier=${NHS}|9000000009` }) })
    t.equal(first.status, 201)
    const second = await hub.fetch('Patient', { method: 'POST', ...json(body, { 'if-none-exist': `identifier=${NHS}|9000000009` }) })
    t.equal(second.status, 200)
    t.equal(((await second.json()) as any).id, ((await first.json()) as any).id)
    await hub.client.create({ resourceType: 'Patient', body })
    const many = await hub.fetch('Patient', { method: 'POST', ...json(body, { 'if-none-exist': `identifier=${NHS}|9000000009` }) })
    t.equal(many.status, 412, 'several matches → 412')
  })

  t.test('conditional update creates on no match, updates the one match, 412 on several', async (t) => {
    const url = `Patient?identifier=${encodeURIComponent(`${NHS}|9000000017`)}`
    const body = { resourceType: 'Patient', identifier: [{ system: NHS, value: '9000000017' }], gender: 'other' }
    const created = await hub.fetch(url, { method: 'PUT', ...json(body) })
    t.equal(created.status, 201)
    const id = ((await created.json()) as any).id
    const updated = await hub.fetch(url, { method: 'PUT', ...json({ ...body, gender: 'unknown' }) })
    t.equal(updated.status, 200)
    const u: any = await updated.json()
    t.equal(u.id, id)
    t.equal(u.meta.versionId, '2')
    const wrongId = await hub.fetch(url, { method: 'PUT', ...json({ ...body, id: 'someone-else' }) })
    t.equal(wrongId.status, 400, 'a body id that differs from the match → 400')
  })

  t.test('conditional delete removes the one match', async (t) => {
    const p: any = await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', identifier: [{ system: 'urn:test', value: 'del-1' }] } })
    const res = await hub.fetch('Patient?identifier=urn:test|del-1', { method: 'DELETE' })
    t.equal(res.status, 200)
    t.equal((await hub.fetch(`Patient/${p.id}`)).status, 410)
  })

  t.test('strict reference policy is off by default', async (t) => {
    const res = await hub.fetch('Observation', {
      method: 'POST',
      ...json({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/not-here' } }),
    })
    t.equal(res.status, 201)
  })
})

t.test('strict referential integrity rejects references to resources the server does not hold', async (t) => {
  const hub = await startTestServer(t, { CASEHUB_REFERENCE_POLICY: 'strict' })
  const obs = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/not-here' } }
  const res = await hub.fetch('Observation', { method: 'POST', ...json(obs) })
  t.equal(res.status, 422)
  const body: any = await res.json()
  t.same(body.issue[0].expression, ['Observation.subject.reference'])
  t.equal(await hub.rows(), 0)
  const p: any = await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient' } })
  const ok = await hub.fetch('Observation', { method: 'POST', ...json({ ...obs, subject: { reference: `Patient/${p.id}` } }) })
  t.equal(ok.status, 201)
  const external = await hub.fetch('Observation', { method: 'POST', ...json({ ...obs, subject: { reference: 'https://other.example/fhir/Patient/1' } }) })
  t.equal(external.status, 201, 'references to other servers are not checked')
})
