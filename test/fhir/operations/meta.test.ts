// $meta, $meta-add and $meta-delete (resource-operations.html): meta read at every level, tags,
// security labels and profiles added and removed as sets without a new version, the search index
// following, and bad input.
import t from 'tap'
import type { Parameters } from '@medplum/fhirtypes'
import { callOperation, startTestServer } from '../../helpers/test-server.js'

const CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality'
const metaParameters = (meta: object) => ({ resourceType: 'Parameters' as const, parameter: [{ name: 'meta', valueMeta: meta }] })
const returned = (body: any) => body.parameter.find((p: any) => p.name === 'return').valueMeta
const ids = async (hub: { fetch(path: string): Promise<Response> }, query: string) =>
  (((await (await hub.fetch(query)).json()) as any).entry ?? []).map((e: any) => e.resource.id)

t.test('resource meta operations', async (t) => {
  const hub = await startTestServer(t)
  const patient: any = await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', meta: { tag: [{ system: 'urn:test:tag', code: 'a' }] } } })
  await hub.client.create({ resourceType: 'Observation', body: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, meta: { tag: [{ system: 'urn:test:obs', code: 'o' }] } } })

  t.test('$meta on an instance is the resource meta', async (t) => {
    const res = await callOperation(hub, `Patient/${patient.id}/$meta`)
    t.equal(res.status, 200)
    t.match(returned(res.body), { versionId: '1', tag: [{ system: 'urn:test:tag', code: 'a' }] })
  })

  t.test('$meta-add adds as sets, in place: same version, history and search follow (fhir-kit-client)', async (t) => {
    const out = (await hub.client.operation({
      name: 'meta-add', resourceType: 'Patient', id: patient.id,
      input: metaParameters({
        tag: [{ system: 'urn:test:tag', code: 'a', display: 'again' }, { system: 'urn:test:tag', code: 'b' }],
        security: [{ system: CONFIDENTIALITY, code: 'R' }],
        profile: ['http://example.org/fhir/StructureDefinition/watched', 'http://example.org/fhir/StructureDefinition/watched'],
      }),
    })) as Parameters
    const meta = returned(out)
    t.same(meta.tag.map((c: any) => c.code), ['a', 'b'], 'a tag already there is not added twice (display ignored)')
    t.same(meta.profile, ['http://example.org/fhir/StructureDefinition/watched'])
    t.same(meta.security, [{ system: CONFIDENTIALITY, code: 'R' }])
    t.equal(meta.versionId, '1')

    const read = await hub.fetch(`Patient/${patient.id}`)
    t.equal(read.headers.get('etag'), 'W/"1"', 'no new version')
    t.same((((await read.json()) as any).meta.tag ?? []).map((c: any) => c.code), ['a', 'b'])
    const history: any = await (await hub.fetch(`Patient/${patient.id}/_history`)).json()
    t.equal(history.entry.length, 1)
    t.same(history.entry[0].resource.meta.tag.map((c: any) => c.code), ['a', 'b'], 'the version in history carries it too')

    t.same(await ids(hub, 'Patient?_tag=urn:test:tag|b'), [patient.id])
    t.same(await ids(hub, `Patient?_security=${CONFIDENTIALITY}|R`), [patient.id])
    t.same(await ids(hub, 'Patient?_profile=http://example.org/fhir/StructureDefinition/watched'), [patient.id])
  })

  t.test('$meta on a type and on the system: what is in use', async (t) => {
    const type = returned((await callOperation(hub, 'Patient/$meta')).body)
    t.same(type.tag, [{ system: 'urn:test:tag', code: 'a' }, { system: 'urn:test:tag', code: 'b' }])
    t.same(type.security, [{ system: CONFIDENTIALITY, code: 'R' }])
    t.same(type.profile, ['http://example.org/fhir/StructureDefinition/watched'])
    const system = returned((await callOperation(hub, '$meta')).body)
    t.ok(system.tag.some((c: any) => c.code === 'o'), "the system's includes the Observation's tag")
    t.ok(system.tag.some((c: any) => c.code === 'b'))
    const observations = returned((await callOperation(hub, 'Observation/$meta')).body)
    t.notOk((observations.tag ?? []).some((c: any) => c.code === 'b'), "not another type's")
  })

  t.test('$meta-delete removes by system and code, or URL; still the same version', async (t) => {
    const res = await callOperation(hub, `Patient/${patient.id}/$meta-delete`, metaParameters({
      tag: [{ system: 'urn:test:tag', code: 'a', display: 'whatever' }],
      profile: ['http://example.org/fhir/StructureDefinition/watched'],
      security: [{ system: CONFIDENTIALITY, code: 'R' }],
    }))
    t.equal(res.status, 200)
    const meta = returned(res.body)
    t.same(meta.tag, [{ system: 'urn:test:tag', code: 'b' }])
    t.notOk('profile' in meta, 'no empty list left behind')
    t.notOk('security' in meta)
    t.equal(meta.versionId, '1')
    t.same(await ids(hub, 'Patient?_tag=urn:test:tag|a'), [])
    t.same(await ids(hub, 'Patient?_tag=urn:test:tag|b'), [patient.id])
    t.same(await ids(hub, `Patient?_security=${CONFIDENTIALITY}|R`), [])
  })

  t.test('on a version: [type]/[id]/_history/[vid]/$meta, $meta-add, $meta-delete (Resource-meta-add)', async (t) => {
    const first: any = await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', meta: { tag: [{ system: 'urn:test:v', code: 'one' }] } } })
    await hub.client.update({ resourceType: 'Patient', id: first.id, body: { resourceType: 'Patient', id: first.id, meta: { tag: [{ system: 'urn:test:v', code: 'two' }] } } })
    const v1 = `Patient/${first.id}/_history/1`

    t.same(returned((await callOperation(hub, `${v1}/$meta`)).body).tag, [{ system: 'urn:test:v', code: 'one' }], "$meta: that version's meta")
    const added = await callOperation(hub, `${v1}/$meta-add`, metaParameters({ tag: [{ system: 'urn:test:v', code: 'reviewed' }] }))
    t.equal(added.status, 200)
    t.same(returned(added.body).tag.map((c: any) => c.code), ['one', 'reviewed'])
    const version = (await (await hub.fetch(v1)).json()) as any
    t.same(version.meta.tag.map((c: any) => c.code), ['one', 'reviewed'], 'the version read back carries it')
    t.equal(version.meta.versionId, '1', 'no new version')
    const current = await hub.fetch(`Patient/${first.id}`)
    t.equal(current.headers.get('etag'), 'W/"2"')
    t.same(((await current.json()) as any).meta.tag.map((c: any) => c.code), ['two'], 'the current version is untouched')
    t.same(await ids(hub, 'Patient?_tag=urn:test:v|reviewed'), [], 'search follows the current version only')
    const history = (await (await hub.fetch(`Patient/${first.id}/_history`)).json()) as any
    t.equal(history.entry.length, 2, 'still two versions')

    const removed = await callOperation(hub, `${v1}/$meta-delete`, metaParameters({ tag: [{ system: 'urn:test:v', code: 'one' }] }))
    t.same(returned(removed.body).tag.map((c: any) => c.code), ['reviewed'])

    const onCurrent = await callOperation(hub, `Patient/${first.id}/_history/2/$meta-add`, metaParameters({ tag: [{ system: 'urn:test:v', code: 'now' }] }))
    t.equal(onCurrent.status, 200)
    t.same(await ids(hub, 'Patient?_tag=urn:test:v|now'), [first.id], 'on the current version, search follows')

    t.equal((await callOperation(hub, `Patient/${first.id}/_history/9/$meta`)).status, 404, 'an unknown version')
    t.equal((await callOperation(hub, `Patient/${first.id}/_history/1/$validate`, { resourceType: 'Parameters', parameter: [] })).status, 404, 'other operations are not offered on versions')
  })

  t.test('bad input and unsuitable targets', async (t) => {
    const viaGet = await hub.fetch(`Patient/${patient.id}/$meta-add`)
    t.equal(viaGet.status, 405, 'it changes data: POST only')
    const missing = await callOperation(hub, `Patient/${patient.id}/$meta-add`, { resourceType: 'Parameters', parameter: [] })
    t.equal(missing.status, 400)
    t.same(missing.body.issue[0].expression, ['meta'])
    const codeless = await callOperation(hub, `Patient/${patient.id}/$meta-add`, metaParameters({ tag: [{ system: 'urn:test:tag' }] }))
    t.equal(codeless.status, 400)
    t.same(codeless.body.issue[0].expression, ['Parameters.parameter[0].valueMeta.tag[0]'])
    const notList = await callOperation(hub, `Patient/${patient.id}/$meta-add`, metaParameters({ profile: 'http://example.org/p' }))
    t.equal(notList.status, 400)
    t.same(notList.body.issue[0].expression, ['Parameters.parameter[0].valueMeta.profile'])
    t.same(returned((await callOperation(hub, `Patient/${patient.id}/$meta`)).body).tag, [{ system: 'urn:test:tag', code: 'b' }], 'nothing changed by them')

    t.equal((await callOperation(hub, 'Patient/nobody/$meta-add', metaParameters({ tag: [{ code: 'x' }] }))).status, 404)
    const gone: any = await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient' } })
    await hub.client.delete({ resourceType: 'Patient', id: gone.id })
    t.equal((await callOperation(hub, `Patient/${gone.id}/$meta-add`, metaParameters({ tag: [{ code: 'x' }] }))).status, 410)
    const badNhs: any = await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '1234567890' }] } })
    const claim = await callOperation(hub, `Patient/${badNhs.id}/$meta-add`, metaParameters({ profile: ['https://casehub.org/fhir/StructureDefinition/casehub-patient'] }))
    t.equal(claim.status, 422, 'a profile held here is claimed by an update, where validation and workflows run')
    t.match(claim.body.issue[0].diagnostics, /casehub-patient is a profile held here/)
    t.notOk(returned((await callOperation(hub, `Patient/${badNhs.id}/$meta`)).body).profile, 'the claim was not recorded')
    const claiming: any = await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', meta: { profile: ['https://casehub.org/fhir/StructureDefinition/casehub-patient'] } } })
    const drop = await callOperation(hub, `Patient/${claiming.id}/$meta-delete`, metaParameters({ profile: ['https://casehub.org/fhir/StructureDefinition/casehub-patient'] }))
    t.equal(drop.status, 422, 'nor dropped but by an update')
    const versioned = await callOperation(hub, `Patient/${claiming.id}/$meta-add`, metaParameters({ profile: ['https://casehub.org/fhir/StructureDefinition/casehub-referral|9.9.9'] }))
    t.equal(versioned.status, 422, 'whatever version the claim names')
    const twice = await callOperation(hub, `Patient/${claiming.id}/$meta-add`, {
      resourceType: 'Parameters', parameter: [{ name: 'meta', valueMeta: { tag: [{ code: 'one' }] } }, { name: 'meta', valueMeta: { tag: [{ code: 'two' }] } }],
    })
    t.equal(twice.status, 400, 'meta is 1..1')
    const stale = await hub.fetch(`Patient/${claiming.id}/$meta-add`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', 'if-match': 'W/"7"' },
      body: JSON.stringify(metaParameters({ tag: [{ code: 'late' }] })),
    })
    t.equal(stale.status, 412, 'If-Match naming another version')
    t.notOk(returned((await callOperation(hub, `Patient/${claiming.id}/$meta`)).body).tag, 'none of these changed the meta')
    const installed = await callOperation(hub, 'StructureDefinition/casehub-referral/$meta-add', metaParameters({ tag: [{ code: 'x' }] }))
    t.equal(installed.status, 405, "CaseHub's own conformance resources are read-only")
  })
})
