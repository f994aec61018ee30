// history at instance, type and system level — http.html#history
import t from 'tap'
import { installedKeys, startTestServer } from '../../helpers/test-server.js'

t.test('history', async (t) => {
  const hub = await startTestServer(t)
  const a: any = await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', gender: 'male' } })
  await hub.client.update({ resourceType: 'Patient', id: a.id, body: { ...a, gender: 'female' } })
  await hub.client.delete({ resourceType: 'Patient', id: a.id })
  const obs: any = await hub.client.create({ resourceType: 'Observation', body: { resourceType: 'Observation', status: 'final', code: { text: 'x' } } })

  t.test('instance history lists every version newest first, the delete included', async (t) => {
    const h: any = await hub.client.resourceHistory({ resourceType: 'Patient', id: a.id })
    t.equal(h.type, 'history')
    t.equal(h.total, 3)
    t.same(h.entry.map((e: any) => e.request.method), ['DELETE', 'PUT', 'POST'])
    t.same(h.entry.map((e: any) => e.response.etag), ['W/"3"', 'W/"2"', 'W/"1"'])
    t.equal(h.entry[1].resource.gender, 'female')
    t.equal(h.entry[2].resource.gender, 'male')
  })

  t.test('type history covers one type only; system history covers all', async (t) => {
    const type: any = await hub.client.typeHistory({ resourceType: 'Observation' })
    t.equal(type.total, 1)
    t.equal(type.entry[0].resource.id, obs.id)
    const system: any = await hub.client.systemHistory()
    t.equal(system.total, 4 + installedKeys().length, 'these four versions and the conformance resources installed at start')
    t.equal(system.entry[0].resource.resourceType, 'Observation', 'newest first')
  })

  t.test('_count pages with a next link; _since filters by time', async (t) => {
    const page: any = await (await hub.fetch('_history?_count=2')).json()
    t.equal(page.entry.length, 2)
    const next = page.link.find((l: any) => l.relation === 'next')
    t.ok(next)
    const page2: any = await (await fetch(next.url)).json()
    t.equal(page2.entry.length, 2)
    t.notSame(page2.entry[0].response, page.entry[0].response)
    const since: any = await (await hub.fetch(`_history?_since=${encodeURIComponent(obs.meta.lastUpdated)}`)).json()
    t.equal(since.total, 1)
    const bad = await hub.fetch('_history?_since=yesterday')
    t.equal(bad.status, 400)
  })

  t.test('history of an unknown resource is 404', async (t) => {
    t.equal((await hub.fetch('Patient/nope/_history')).status, 404)
  })
})
