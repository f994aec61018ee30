// Bodies are stored as the JSON text CaseHub writes and served as stored: resourceType, id and
// meta first (json.html shows resources in that order), the same bytes from read, vread,
// search, history and a transaction response.
import t from 'tap'
import { startTestServer } from '../helpers/test-server.js'

const HEAD = /^\{"resourceType":"Patient","id":"[^"]+","meta":\{/

t.test('a body sent with resourceType last is stored and served with resourceType, id and meta first', async (t) => {
  const hub = await startTestServer(t)
  const sent = '{"name":[{"family":"Ørsted","given":["Zoë"]}],"gender":"female","meta":{"tag":[{"code":"x"}]},"resourceType":"Patient"}'
  const created = await hub.fetch('Patient', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: sent })
  t.equal(created.status, 201)
  const createdText = await created.text()
  t.match(createdText, HEAD, 'the create response')
  const id = JSON.parse(createdText).id

  const read = await (await hub.fetch(`Patient/${id}`)).text()
  t.match(read, HEAD, 'read')
  t.equal(read, createdText, 'read gives the bytes the create returned')
  t.same(JSON.parse(read).meta.tag, [{ code: 'x' }], "the client's meta.tag is kept")
  t.same(JSON.parse(read).name, [{ family: 'Ørsted', given: ['Zoë'] }])

  const vread = await (await hub.fetch(`Patient/${id}/_history/1`)).text()
  t.equal(vread, read, 'vread')

  const search = await (await hub.fetch(`Patient?_id=${id}`)).text()
  t.ok(search.includes(`"resource":${read}`), 'the search entry holds the stored text')

  const updated = await hub.fetch(`Patient/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/fhir+json' },
    body: `{"gender":"male","id":"${id}","resourceType":"Patient"}`,
  })
  t.equal(updated.status, 200)
  const updatedText = await updated.text()
  t.match(updatedText, HEAD, 'update')
  const history = await (await hub.fetch(`Patient/${id}/_history`)).text()
  t.ok(history.includes(`"resource":${updatedText}`) && history.includes(`"resource":${read}`), 'history holds both versions as stored')
})

t.test('transaction responses return the stored text of each entry', async (t) => {
  const hub = await startTestServer(t)
  const res = await hub.fetch('', {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', prefer: 'return=representation' },
    body: JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ fullUrl: 'urn:uuid:0f4a6a5e-1c1e-4d6f-9d0e-3c0b5d1e2a11', request: { method: 'POST', url: 'Patient' }, resource: { birthDate: '1950-01-01', resourceType: 'Patient' } }],
    }),
  })
  t.equal(res.status, 200)
  const bundle = await res.json()
  const resource = bundle.entry[0].resource
  t.same(Object.keys(resource).slice(0, 3), ['resourceType', 'id', 'meta'])
  const read = await (await hub.fetch(`Patient/${resource.id}`)).text()
  t.same(JSON.parse(read), resource)
})
