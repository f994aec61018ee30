// FHIR XML over HTTP (xml.html, http.html#mime-type): every Synthea resource converts to XML and
// back unchanged, and the API speaks XML when asked: read, search, create, transaction, errors.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { initSearchParameters } from '../../src/fhir/search/parameters.js'
import { fromXml } from '../../src/fhir/xml/from-xml.js'
import { toXml } from '../../src/fhir/xml/to-xml.js'
import { startTestServer } from '../helpers/test-server.js'

const SYNTHEA = new URL('../../../shared/data/synthea/', import.meta.url).pathname
const XML = 'application/fhir+xml'

/** JSON with object keys sorted, so key order does not count. */
const canonical = (value: unknown) =>
  JSON.stringify(value, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v))

t.test('every Synthea resource goes to XML and back unchanged (xml.html)', async (t) => {
  initSearchParameters()
  let count = 0
  const failures: string[] = []
  for (const file of readdirSync(SYNTHEA).filter((f) => f.endsWith('.json'))) {
    const bundle = JSON.parse(readFileSync(SYNTHEA + file, 'utf8'))
    for (const resource of [bundle, ...bundle.entry.map((e: any) => e.resource)]) {
      count++
      if (canonical(fromXml(toXml(resource))) !== canonical(resource)) failures.push(`${resource.resourceType}/${resource.id ?? file}`)
    }
    // _pretty: indented, and read back the same (each Bundle holds every kind of element of its entries)
    if (canonical(fromXml(toXml(bundle, true))) !== canonical(bundle)) failures.push(`${file} with _pretty`)
  }
  t.ok(count > 10_000, `${count} resources, the Bundles themselves included`)
  t.same(failures, [], 'none changed')
  const pretty = toXml({ resourceType: 'Patient', id: 'p', name: [{ family: 'Ng', given: ['A'] }] }, true)
  t.equal(pretty, ['<?xml version="1.0" encoding="UTF-8"?>', '<Patient xmlns="http://hl7.org/fhir">', '  <id value="p"/>', '  <name>', '    <family value="Ng"/>', '    <given value="A"/>', '  </name>', '</Patient>'].join('\n'))
})

t.test('the XML form follows xml.html', async (t) => {
  initSearchParameters()
  const resource = {
    resourceType: 'Patient',
    id: 'x1',
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Ann &amp; Bo<br/></p></div>' },
    extension: [{ url: 'https://example.org/ext', valueBoolean: true }],
    name: [{ id: 'n1', family: 'O"Brien <x>', given: ['Ann', 'Bo'], _given: [null, { extension: [{ url: 'https://example.org/nick', valueString: 'B' }] }] }],
    birthDate: '1950-02-03',
    _birthDate: { id: 'bd' },
    multipleBirthInteger: 2,
    contained: [{ resourceType: 'Organization', id: 'o', name: 'Practice' }],
    managingOrganization: { reference: '#o' },
  }
  const xml = toXml(resource)
  t.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Patient xmlns="http:\/\/hl7.org\/fhir"><id value="x1"\/>/, 'root in the FHIR namespace, id first')
  t.match(xml, /<text><status value="generated"\/><div xmlns="http:\/\/www.w3.org\/1999\/xhtml"><p>Ann &amp; Bo<br\/><\/p><\/div><\/text>/, 'the div as XHTML')
  t.match(xml, /<contained><Organization><id value="o"\/><name value="Practice"\/><\/Organization><\/contained><extension url="https:\/\/example.org\/ext"><valueBoolean value="true"\/><\/extension>/, 'contained before extension, url as attribute')
  t.match(xml, /<name id="n1"><family value="O&quot;Brien &lt;x&gt;"\/><given value="Ann"\/><given value="Bo"><extension url="https:\/\/example.org\/nick"><valueString value="B"\/><\/extension><\/given><\/name>/, 'Element.id as attribute, primitive extensions inside')
  t.match(xml, /<birthDate id="bd" value="1950-02-03"\/><multipleBirthInteger value="2"\/>/, 'choice element named by its type; definition order')
  t.same(fromXml(xml), resource, 'and back, with number and key order as JSON writes them')
})

t.test('the API in XML', async (t) => {
  const hub = await startTestServer(t)
  const patientXml =
    '<Patient xmlns="http://hl7.org/fhir"><active value="true"/><name><family value="Ørsted"/><given value="Zoë"/></name><birthDate value="1948-07-01"/></Patient>'
  const created = await hub.fetch('Patient', { method: 'POST', headers: { 'content-type': XML, accept: XML }, body: patientXml })
  t.equal(created.status, 201, 'create from an XML body')
  t.match(created.headers.get('content-type'), /^application\/fhir\+xml/)
  const createdXml = await created.text()
  const id = /<id value="([^"]+)"\/>/.exec(createdXml)![1]
  t.match(createdXml, /<meta><versionId value="1"\/><lastUpdated value="[^"]+"\/><\/meta><active value="true"\/><name><family value="Ørsted"\/>/)

  const json = await (await hub.fetch(`Patient/${id}`)).json()
  t.same(json.name, [{ family: 'Ørsted', given: ['Zoë'] }], 'stored as the same resource JSON clients read')
  t.equal(json.active, true, 'a boolean, not the text "true"')

  const viaFormat = await hub.fetch(`Patient/${id}?_format=xml`)
  t.match(viaFormat.headers.get('content-type'), /^application\/fhir\+xml/, '_format=xml')
  t.same(fromXml(await viaFormat.text()), json, 'the XML read is the JSON read')
  const preferred = await hub.fetch(`Patient/${id}`, { headers: { accept: 'application/fhir+json;q=0.5, application/fhir+xml' } })
  t.match(preferred.headers.get('content-type'), /^application\/fhir\+xml/, 'the higher q wins')

  const search = await hub.fetch(`Patient?family=${encodeURIComponent("Ørsted")}&_format=xml`)
  const bundle = fromXml(await search.text())
  t.equal(bundle.resourceType, 'Bundle')
  t.same(bundle.entry.map((e: any) => e.resource.id), [id], 'a searchset in XML')

  const transaction = `<Bundle xmlns="http://hl7.org/fhir"><type value="transaction"/>
    <entry><fullUrl value="urn:uuid:4b8c2b1e-5a33-4c57-9bde-1b1c8f4f4e01"/><resource><Patient><name><family value="Atkins"/></name></Patient></resource>
      <request><method value="POST"/><url value="Patient"/></request></entry>
    <entry><resource><Observation><status value="final"/><code><text value="weight"/></code>
      <subject><reference value="urn:uuid:4b8c2b1e-5a33-4c57-9bde-1b1c8f4f4e01"/></subject>
      <valueQuantity><value value="72.5"/><unit value="kg"/></valueQuantity></Observation></resource>
      <request><method value="POST"/><url value="Observation"/></request></entry></Bundle>`
  const tx = await hub.fetch('', { method: 'POST', headers: { 'content-type': XML, accept: XML }, body: transaction })
  t.equal(tx.status, 200, 'a transaction Bundle in XML')
  const response = fromXml(await tx.text())
  t.equal(response.type, 'transaction-response')
  const obsLocation = response.entry[1].response.location as string
  const obs = await (await hub.fetch(obsLocation.replace(/\/_history\/.*$/, '').replace(/^.*\/fhir\//, ''))).json()
  t.equal(obs.valueQuantity.value, 72.5, 'decimals are numbers')
  t.match(obs.subject.reference, /^Patient\//, 'the urn:uuid reference was resolved')

  const missing = await hub.fetch('Patient/does-not-exist', { headers: { accept: XML } })
  t.equal(missing.status, 404)
  t.match(await missing.text(), /<OperationOutcome xmlns="http:\/\/hl7.org\/fhir"><issue><severity value="error"\/><code value="not-found"\/>/, 'errors in XML too')
  const metadata = await (await hub.fetch('metadata')).json()
  t.ok(metadata.format.includes('application/fhir+xml'), 'the CapabilityStatement says so')
})

t.test('bad XML is 400 with an OperationOutcome naming where, and nothing is stored (xml.html)', async (t) => {
  const hub = await startTestServer(t)
  const cases: [string, string, string | undefined][] = [
    ['not well-formed', '<Patient xmlns="http://hl7.org/fhir"><active value="true"></Patient>', undefined],
    ['an element the type does not have', '<Patient xmlns="http://hl7.org/fhir"><name><surname value="X"/></name></Patient>', 'Patient.name[0].surname'],
    ['outside the FHIR namespace', '<Patient><active value="true"/></Patient>', undefined],
    ['a DOCTYPE (entity expansion)', '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]><Patient xmlns="http://hl7.org/fhir"><gender value="&lol;"/></Patient>', undefined],
    ['a boolean that is not true or false', '<Patient xmlns="http://hl7.org/fhir"><active value="yes"/></Patient>', 'Patient.active'],
    ['a repeated single element', '<Patient xmlns="http://hl7.org/fhir"><gender value="male"/><gender value="female"/></Patient>', 'Patient.gender'],
    ['not a resource type', '<Person2 xmlns="http://hl7.org/fhir"/>', undefined],
  ]
  for (const [name, body, where] of cases) {
    const res = await hub.fetch('Patient', { method: 'POST', headers: { 'content-type': XML, accept: XML }, body })
    t.equal(res.status, 400, name)
    const outcome = fromXml(await res.text())
    t.equal(outcome.resourceType, 'OperationOutcome', `${name}: an OperationOutcome, in XML`)
    if (where) t.same(outcome.issue[0].expression, [where], `${name}: at ${where}`)
  }
  t.equal(await hub.rows(), 0, 'nothing stored')
})
