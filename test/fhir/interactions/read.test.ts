// read and vread — http.html#read, http.html#vread
import t from 'tap'
import { startTestServer } from '../../helpers/test-server.js'

t.test('read', async (t) => {
  const hub = await startTestServer(t)
  const created: any = await hub.client.create({
    resourceType: 'Patient',
    body: { resourceType: 'Patient', name: [{ family: 'Ellis', given: ['Ada'] }], birthDate: '1950-02-03' },
  })

  t.test('returns the resource with server-set id, versionId and lastUpdated', async (t) => {
    const res = await hub.fetch(`Patient/${created.id}`)
    t.equal(res.status, 200)
    t.match(res.headers.get('content-type'), /^application\/fhir\+json/)
    t.equal(res.headers.get('etag'), 'W/"1"')
    t.ok(res.headers.get('last-modified'))
    const body: any = await res.json()
    t.same(body.name, [{ family: 'Ellis', given: ['Ada'] }])
    t.equal(body.meta.versionId, '1')
    t.equal(body.meta.lastUpdated, created.meta.lastUpdated)
  })

  t.test('returns 404 with an OperationOutcome for an unknown id', async (t) => {
    const res = await hub.fetch('Patient/does-not-exist')
    t.equal(res.status, 404)
    const body: any = await res.json()
    t.equal(body.resourceType, 'OperationOutcome')
    t.equal(body.issue[0].code, 'not-found')
  })

  t.test('returns 410 Gone for a deleted resource, and vread of the old version still works', async (t) => {
    const p: any = await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', active: true } })
    await hub.client.delete({ resourceType: 'Patient', id: p.id })
    const res = await hub.fetch(`Patient/${p.id}`)
    t.equal(res.status, 410)
    t.equal(((await res.json()) as any).issue[0].code, 'deleted')
    const old: any = await hub.client.vread({ resourceType: 'Patient', id: p.id, version: '1' })
    t.equal(old.active, true)
    const deletedVersion = await hub.fetch(`Patient/${p.id}/_history/2`)
    t.equal(deletedVersion.status, 410)
  })

  t.test('returns 304 for If-None-Match with the current version', async (t) => {
    const res = await hub.fetch(`Patient/${created.id}`, { headers: { 'If-None-Match': 'W/"1"' } })
    t.equal(res.status, 304)
  })

  t.test('returns 404 for an unknown resource type and 400 for an invalid id', async (t) => {
    const unknown = await hub.fetch('Foo/1')
    t.equal(unknown.status, 404)
    t.match(((await unknown.json()) as any).issue[0].diagnostics, /Unknown resource type/)
    const bad = await hub.fetch(`Patient/${encodeURIComponent("1' OR '1'='1")}`)
    t.equal(bad.status, 400)
  })
})
