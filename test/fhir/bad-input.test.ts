// Bad input of every kind is refused with a 4xx and an OperationOutcome, and nothing is
// written — http.html#create, #update, #transaction, #mime-type, #concurrency (R4).
// A row count of resource and resource_history before and after each request proves the store
// was left alone.
import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { startTestServer, type TestServer } from '../helpers/test-server.js'

const NHS = 'https://fhir.nhs.uk/Id/nhs-number'

const fhirJson = (body: unknown, headers: Record<string, string> = {}) => ({
  headers: { 'content-type': 'application/fhir+json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
})
const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({ method: 'POST', ...fhirJson(body, headers) })
const put = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({ method: 'PUT', ...fhirJson(body, headers) })

interface Expected {
  status: number
  /** a FHIRPath one error issue must carry (exactly, or matching the pattern) */
  expression?: string | RegExp
}

async function counts(hub: TestServer) {
  return { resource: await hub.rows('resource'), resource_history: await hub.rows('resource_history') }
}

/** Sends the request and checks status, OperationOutcome shape, location, and that nothing was written. */
async function expectRejected(t: Test, hub: TestServer, path: string, init: RequestInit, want: Expected) {
  const before = await counts(hub)
  const res = await hub.fetch(path, init)
  const text = await res.text()
  t.equal(res.status, want.status, `HTTP ${want.status} (got ${res.status}: ${text.slice(0, 400)})`)
  t.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/, 'Content-Type is application/fhir+json')
  let body: any
  try {
    body = JSON.parse(text)
  } catch {
    t.fail(`body is not JSON: ${text.slice(0, 200)}`)
  }
  t.equal(body?.resourceType, 'OperationOutcome', 'body is an OperationOutcome')
  const errors: any[] = (body?.issue ?? []).filter((i: any) => i.severity === 'error')
  t.ok(
    errors.some((i) => typeof i.diagnostics === 'string' && i.diagnostics.trim() !== ''),
    'at least one issue has severity error and diagnostics',
  )
  if (want.expression !== undefined) {
    const wanted = want.expression
    const found = errors.flatMap((i) => (i.expression ?? []) as string[])
    t.ok(
      found.some((e) => (typeof wanted === 'string' ? e === wanted : wanted.test(e))),
      `an error issue has expression ${wanted} (got ${JSON.stringify(found)})`,
    )
  }
  t.same(await counts(hub), before, 'no row written to resource or resource_history')
  return body
}

/** 200 levels of Extension.extension */
function nestedExtensions(levels: number): object {
  let ext: Record<string, unknown> = { url: 'http://example.org/leaf', valueString: 'deep' }
  for (let i = 1; i < levels; i++) ext = { url: `http://example.org/level-${i}`, extension: [ext] }
  return ext
}

interface Case extends Expected {
  name: string
  path: string
  init: RequestInit
  /** runs before the row count is taken (e.g. to create the resource a case updates) */
  setup?: (hub: TestServer) => Promise<unknown>
}

/** Writes Patient/{id} (a new version each time) so a case has something to update. */
async function ensure(hub: TestServer, id: string) {
  const res = await hub.fetch(`Patient/${id}`, put({ resourceType: 'Patient', id }))
  await res.arrayBuffer()
  if (res.status !== 200 && res.status !== 201) throw new Error(`setup PUT Patient/${id} answered ${res.status}`)
}

const validPatient = (family: string) => ({ resourceType: 'Patient', name: [{ family }] })
const txEntry = (resource: object) => ({ resource, request: { method: 'POST', url: resource['resourceType' as keyof typeof resource] } })

const CASES: Case[] = [
  // --- body is not a resource (json.html, http.html#create)
  {
    name: 'a truncated JSON body is 400 (json.html, http.html#create)',
    path: 'Patient',
    init: post('{"resourceType":"Patient","active":tr'),
    status: 400,
  },
  {
    name: 'an empty body on POST is 400 (http.html#create)',
    path: 'Patient',
    init: post(''),
    status: 400,
  },
  {
    name: 'a JSON array body is 400 (json.html, http.html#create)',
    path: 'Patient',
    init: post('[{"resourceType":"Patient"}]'),
    status: 400,
  },
  {
    name: 'a JSON string body is 400 (json.html, http.html#create)',
    path: 'Patient',
    init: post('"Patient"'),
    status: 400,
  },
  {
    name: 'a JSON null body is 400 (json.html, http.html#create)',
    path: 'Patient',
    init: post('null'),
    status: 400,
  },
  {
    name: 'a body without resourceType is 400 (json.html#resources)',
    path: 'Patient',
    init: post({ active: true }),
    status: 400,
  },
  {
    name: 'an Observation POSTed to /Patient is 400 (http.html#create)',
    path: 'Patient',
    init: post({ resourceType: 'Observation', status: 'final', code: { text: 'BP' } }),
    status: 400,
  },
  {
    name: 'an Observation PUT to /Patient/abc is 400 (http.html#update)',
    path: 'Patient/abc',
    init: put({ resourceType: 'Observation', id: 'abc', status: 'final', code: { text: 'BP' } }),
    status: 400,
  },
  // --- update id rules (http.html#update)
  {
    name: 'PUT Patient/abc with body id "xyz" is 400 at Patient.id (http.html#update)',
    path: 'Patient/abc',
    init: put({ resourceType: 'Patient', id: 'xyz' }),
    status: 400,
    expression: 'Patient.id',
  },
  {
    name: 'PUT Patient/abc with no id in the body is 400 at Patient.id (http.html#update)',
    path: 'Patient/abc',
    init: put({ resourceType: 'Patient', active: true }),
    status: 400,
    expression: 'Patient.id',
  },
  // --- resource types and elements (http.html#search, json.html, validation.html)
  {
    name: 'GET /Foo (unknown resource type) is 404 (http.html#search)',
    path: 'Foo',
    init: { method: 'GET' },
    status: 404,
  },
  {
    name: 'POST /Foo (unknown resource type) is 404 (http.html#create)',
    path: 'Foo',
    init: post({ resourceType: 'Foo' }),
    status: 404,
  },
  {
    name: 'an unknown element is 400 at Patient.foo (json.html, validation.html)',
    path: 'Patient',
    init: post({ resourceType: 'Patient', foo: 'bar' }),
    status: 400,
    expression: 'Patient.foo',
  },
  {
    name: 'an unknown element inside a datatype is 400 at Patient.name[0].nickname (json.html)',
    path: 'Patient',
    init: post({ resourceType: 'Patient', name: [{ family: 'Ng', nickname: 'Li' }] }),
    status: 400,
    expression: 'Patient.name[0].nickname',
  },
  // --- primitive types (datatypes.html, json.html#primitive)
  {
    name: 'birthDate: 123 (a number, not a date string) is 400 at Patient.birthDate (datatypes.html#date)',
    path: 'Patient',
    init: post({ resourceType: 'Patient', birthDate: 123 }),
    status: 400,
    expression: 'Patient.birthDate',
  },
  {
    name: 'birthDate "1950-13-45" (no such month or day) is 400 at Patient.birthDate (datatypes.html#date)',
    path: 'Patient',
    init: post({ resourceType: 'Patient', birthDate: '1950-13-45' }),
    status: 400,
    expression: 'Patient.birthDate',
  },
  {
    name: 'birthDate "1950-02-30" (no such day) is 400 at Patient.birthDate (datatypes.html#date)',
    path: 'Patient',
    init: post({ resourceType: 'Patient', birthDate: '1950-02-30' }),
    status: 400,
    expression: 'Patient.birthDate',
  },
  {
    name: 'deceasedDateTime "2019-04-31T10:00:00Z" (no such day) is 400 at Patient.deceasedDateTime (datatypes.html#dateTime)',
    path: 'Patient',
    init: post({ resourceType: 'Patient', deceasedDateTime: '2019-04-31T10:00:00Z' }),
    status: 400,
    expression: 'Patient.deceasedDateTime',
  },
  {
    name: 'a dateTime with hours but no time zone is 400 at Patient.deceasedDateTime (datatypes.html#dateTime)',
    path: 'Patient',
    init: post({ resourceType: 'Patient', deceasedDateTime: '2019-04-01T10:00:00' }),
    status: 400,
    expression: 'Patient.deceasedDateTime',
  },
  {
    name: 'active: "yes" (a string, not a boolean) is 400 at Patient.active (datatypes.html#boolean)',
    path: 'Patient',
    init: post({ resourceType: 'Patient', active: 'yes' }),
    status: 400,
    expression: 'Patient.active',
  },
  {
    name: 'gender "x" (not in the required value set) is 400 at Patient.gender (terminologies.html#required)',
    path: 'Patient',
    init: post({ resourceType: 'Patient', gender: 'x' }),
    status: 400,
    expression: 'Patient.gender',
  },
  {
    name: 'an array where a single value belongs is 400 at Patient.active (json.html#primitive)',
    path: 'Patient',
    init: post({ resourceType: 'Patient', active: [true] }),
    status: 400,
    expression: 'Patient.active',
  },
  {
    name: 'an empty string is 400 at Patient.name[0].family (json.html#primitive)',
    path: 'Patient',
    init: post({ resourceType: 'Patient', name: [{ family: '' }] }),
    status: 400,
    expression: 'Patient.name[0].family',
  },
  {
    name: 'an empty array is 400 at Patient.name (json.html)',
    path: 'Patient',
    init: post({ resourceType: 'Patient', name: [] }),
    status: 400,
    expression: 'Patient.name',
  },
  {
    name: 'a __proto__ member is an unknown element, 400 at Patient.__proto__ (json.html)',
    path: 'Patient',
    init: post('{"resourceType":"Patient","__proto__":{"active":true}}'),
    status: 400,
    expression: 'Patient.__proto__',
  },
  // --- narrative (narrative.html#xhtml)
  {
    name: 'a narrative with a <script> element is 400 at Patient.text.div (narrative.html#xhtml, txt-1)',
    path: 'Patient',
    init: post({
      resourceType: 'Patient',
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></div>' },
    }),
    status: 400,
    expression: 'Patient.text.div',
  },
  {
    name: 'a narrative with an onclick attribute is 400 at Patient.text.div (narrative.html#xhtml, txt-1)',
    path: 'Patient',
    init: post({
      resourceType: 'Patient',
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="steal()">Ada</p></div>' },
    }),
    status: 400,
    expression: 'Patient.text.div',
  },
  {
    name: 'a narrative that is not an XHTML div is 400 at Patient.text.div (narrative.html#xhtml)',
    path: 'Patient',
    init: post({ resourceType: 'Patient', text: { status: 'generated', div: 'not xhtml' } }),
    status: 400,
    expression: 'Patient.text.div',
  },
  // --- cardinality (conformance-rules.html#cardinality)
  {
    name: 'an Observation without status is 400 at Observation.status (conformance-rules.html#cardinality)',
    path: 'Observation',
    init: post({ resourceType: 'Observation', code: { text: 'BP' } }),
    status: 400,
    expression: 'Observation.status',
  },
  {
    name: 'an Observation without code is 400 at Observation.code (conformance-rules.html#cardinality)',
    path: 'Observation',
    init: post({ resourceType: 'Observation', status: 'final' }),
    status: 400,
    expression: 'Observation.code',
  },
  {
    name: 'an Observation without status and code is 400 (conformance-rules.html#cardinality)',
    path: 'Observation',
    init: post({ resourceType: 'Observation' }),
    status: 400,
    expression: /^Observation\.(status|code)$/,
  },
  // --- pathological nesting
  {
    name: '200 levels of nested extension are refused with 400, not a stack overflow (json.html)',
    path: 'Patient',
    init: post({ resourceType: 'Patient', extension: [nestedExtensions(200)] }),
    status: 400,
    expression: /^Patient\.extension\[0\](\.extension\[0\])+/,
  },
  {
    name: '10,000 nested arrays inside a resource are refused with 400 (json.html)',
    path: 'Patient',
    init: post(`{"resourceType":"Patient","extension":${'['.repeat(10_000)}${']'.repeat(10_000)}}`),
    status: 400,
  },
  {
    name: '10,000 nested arrays as the whole body are refused with 400 (json.html)',
    path: 'Patient',
    init: post(`${'['.repeat(10_000)}${']'.repeat(10_000)}`),
    status: 400,
  },
  {
    name: '10,000 nested arrays inside a transaction entry are refused with 400 (http.html#transaction)',
    path: '',
    init: post(
      `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},` +
        `"resource":{"resourceType":"Patient","extension":${'['.repeat(10_000)}${']'.repeat(10_000)}}}]}`,
    ),
    status: 400,
  },
  // --- ids (datatypes.html#id)
  {
    name: 'GET Patient/a$b (invalid id characters) is 400 (datatypes.html#id, http.html#read)',
    path: 'Patient/a$b',
    init: { method: 'GET' },
    status: 400,
  },
  {
    name: 'GET of a 65-character id is 400 (datatypes.html#id, http.html#read)',
    path: `Patient/${'a'.repeat(65)}`,
    init: { method: 'GET' },
    status: 400,
  },
  {
    name: 'PUT Patient/a$b with the same invalid id in the body is 400 (datatypes.html#id, http.html#update)',
    path: 'Patient/a$b',
    init: put({ resourceType: 'Patient', id: 'a$b' }),
    status: 400,
  },
  {
    name: 'PUT of a 65-character id with the same id in the body is 400 (datatypes.html#id, http.html#update)',
    path: `Patient/${'a'.repeat(65)}`,
    init: put({ resourceType: 'Patient', id: 'a'.repeat(65) }),
    status: 400,
  },
  {
    name: 'a conditional update whose body id has invalid characters is 400 at Patient.id (datatypes.html#id, http.html#cond-update)',
    path: `Patient?identifier=${encodeURIComponent(`${NHS}|9000000009`)}`,
    init: put({ resourceType: 'Patient', id: 'a$b', identifier: [{ system: NHS, value: '9000000009' }] }),
    status: 400,
    expression: 'Patient.id',
  },
  {
    name: 'a conditional update whose body id has 65 characters is 400 at Patient.id (datatypes.html#id, http.html#cond-update)',
    path: `Patient?identifier=${encodeURIComponent(`${NHS}|9000000009`)}`,
    init: put({ resourceType: 'Patient', id: 'b'.repeat(65), identifier: [{ system: NHS, value: '9000000009' }] }),
    status: 400,
    expression: 'Patient.id',
  },
  {
    name: 'a transaction PUT entry with an invalid id is 400 under Bundle.entry[0] (datatypes.html#id, http.html#transaction)',
    path: '',
    init: post({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Patient', id: 'a$b' }, request: { method: 'PUT', url: 'Patient/a$b' } }],
    }),
    status: 400,
    expression: /^Bundle\.entry\[0\]/,
  },
  {
    name: `GET Patient/1';DROP TABLE resource;-- (URL-encoded) is 400 (datatypes.html#id)`,
    path: `Patient/${encodeURIComponent("1';DROP TABLE resource;--")}`,
    init: { method: 'GET' },
    status: 400,
  },
  {
    name: `PUT Patient/1';DROP TABLE resource;-- (URL-encoded) is 400 (datatypes.html#id, http.html#update)`,
    path: `Patient/${encodeURIComponent("1';DROP TABLE resource;--")}`,
    init: put({ resourceType: 'Patient', id: "1';DROP TABLE resource;--" }),
    status: 400,
  },
  {
    name: 'DELETE of an id with a NUL byte is 400 (datatypes.html#id, http.html#delete)',
    path: 'Patient/a%00b',
    init: { method: 'DELETE' },
    status: 400,
  },
  {
    name: 'a path with broken percent-encoding is 400 with an OperationOutcome (http.html#general)',
    path: 'Patient/%E0%A4%A',
    init: { method: 'GET' },
    status: 400,
  },
  {
    name: 'a 100 KB URL is 431 with an OperationOutcome (http.html#general)',
    path: `Patient?identifier=${'x'.repeat(100_000)}`,
    init: { method: 'GET' },
    status: 431,
  },
  // --- characters the store cannot hold (datatypes.html#string)
  {
    name: 'a \\u0000 inside a string value is refused with 4xx, not 500 (datatypes.html#string)',
    path: 'Patient',
    init: post('{"resourceType":"Patient","name":[{"family":"Nul\\u0000Byte"}]}'),
    status: 400,
  },
  {
    name: 'a \\u0000 inside a string value of an update is refused with 4xx, not 500 (datatypes.html#string)',
    path: 'Patient/nul-update',
    init: put('{"resourceType":"Patient","id":"nul-update","name":[{"family":"Nul\\u0000Byte"}]}'),
    status: 400,
  },
  {
    name: 'a \\u0000 inside a transaction entry is refused with 4xx and rolls back the whole Bundle (datatypes.html#string, http.html#transaction)',
    path: '',
    init: post(
      '{"resourceType":"Bundle","type":"transaction","entry":[' +
        '{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","name":[{"family":"Fine"}]}},' +
        '{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","name":[{"family":"Nul\\u0000Byte"}]}}]}',
    ),
    status: 400,
  },
  {
    name: 'a \\u0000 in an identifier search is 400, not 500 (search.html#token)',
    path: 'Patient?identifier=a%00b',
    init: { method: 'GET' },
    status: 400,
  },
  {
    name: 'a \\u0000 in If-None-Exist is 400, not 500 (http.html#ccreate)',
    path: 'Patient',
    init: post(validPatient('Nul'), { 'if-none-exist': 'identifier=a%00b' }),
    status: 400,
  },
  // --- media types (http.html#mime-type)
  {
    name: 'POST with Content-Type application/yaml is 415 (http.html#mime-type)',
    path: 'Patient',
    init: { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: 'resourceType: Patient' },
    status: 415,
  },
  {
    name: 'POST with Content-Type text/plain is 415 (http.html#mime-type)',
    path: 'Patient',
    init: { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"resourceType":"Patient"}' },
    status: 415,
  },
  {
    name: 'Accept: text/html only is 406 (http.html#mime-type)',
    path: 'Patient',
    init: { method: 'POST', ...fhirJson({ resourceType: 'Patient' }, { accept: 'text/html' }) },
    status: 406,
  },
  {
    name: '_format=yaml is 406 (http.html#general-parameters)',
    path: 'Patient?_format=yaml',
    init: post({ resourceType: 'Patient' }),
    status: 406,
  },
  {
    name: 'GET with _format=turtle is 406 (http.html#general-parameters)',
    path: 'metadata?_format=turtle',
    init: { method: 'GET' },
    status: 406,
  },
  // --- methods the interaction table does not have (http.html#summary)
  {
    name: 'DELETE /metadata is 405 (http.html#capabilities)',
    path: 'metadata',
    init: { method: 'DELETE' },
    status: 405,
  },
  {
    name: 'PUT /Patient/1/_history/1 is 405: history is read-only (http.html#vread)',
    path: 'Patient/1/_history/1',
    init: put({ resourceType: 'Patient', id: '1' }),
    status: 405,
  },
  // --- versioning (http.html#concurrency)
  {
    name: 'If-Match: banana is 400 (http.html#concurrency)',
    path: 'Patient/etag-target',
    setup: (hub) => ensure(hub, 'etag-target'),
    init: put({ resourceType: 'Patient', id: 'etag-target', active: true }, { 'if-match': 'banana' }),
    status: 400,
  },
  {
    name: 'If-Match: W/"banana" names no version, so it is 412 (http.html#concurrency)',
    path: 'Patient/etag-target',
    setup: (hub) => ensure(hub, 'etag-target'),
    init: put({ resourceType: 'Patient', id: 'etag-target', active: true }, { 'if-match': 'W/"banana"' }),
    status: 412,
  },
  {
    name: 'If-Match with a stale version is 412 (http.html#concurrency)',
    path: 'Patient/etag-target',
    setup: (hub) => ensure(hub, 'etag-target'),
    init: put({ resourceType: 'Patient', id: 'etag-target', active: true }, { 'if-match': 'W/"999"' }),
    status: 412,
  },
  // --- transactions are atomic (http.html#transaction, #trules)
  {
    name: 'a transaction whose last entry is an Observation without status is 400 at Bundle.entry[3] and writes nothing (http.html#transaction)',
    path: '',
    init: post({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        txEntry(validPatient('One')),
        txEntry(validPatient('Two')),
        txEntry(validPatient('Three')),
        txEntry({ resourceType: 'Observation', code: { text: 'BP' } }),
      ],
    }),
    status: 400,
    expression: 'Bundle.entry[3].resource.status',
  },
  {
    name: 'a transaction whose last entry is a PUT with a stale If-Match is 412 under Bundle.entry[3] and writes nothing (http.html#transaction)',
    path: '',
    setup: (hub) => ensure(hub, 'tx-locked'),
    init: post({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        txEntry(validPatient('One')),
        txEntry(validPatient('Two')),
        txEntry(validPatient('Three')),
        {
          resource: { resourceType: 'Patient', id: 'tx-locked', active: true },
          request: { method: 'PUT', url: 'Patient/tx-locked', ifMatch: 'W/"7"' },
        },
      ],
    }),
    status: 412,
    expression: /^Bundle\.entry\[3\]/,
  },
  {
    name: 'a transaction whose last entry has an unknown resource type in request.url is 400 (the Bundle is invalid) and writes nothing (http.html#transaction)',
    path: '',
    init: post({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [txEntry(validPatient('One')), { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Foo' } }],
    }),
    status: 400,
    expression: /^Bundle\.entry\[1\]/,
  },
  {
    name: 'a transaction whose last entry has a birthDate of 123 is 400 at Bundle.entry[2].resource.birthDate (http.html#transaction)',
    path: '',
    init: post({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [txEntry(validPatient('One')), txEntry(validPatient('Two')), txEntry({ resourceType: 'Patient', birthDate: 123 })],
    }),
    status: 400,
    expression: 'Bundle.entry[2].resource.birthDate',
  },
  {
    name: 'a transaction GET entry with _count=abc is 400 at Bundle.entry[1].request.url (http.html#transaction, search.html#count)',
    path: '',
    init: post({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [txEntry(validPatient('One')), { request: { method: 'GET', url: 'Patient?_count=abc' } }],
    }),
    status: 400,
    expression: 'Bundle.entry[1].request.url',
  },
  {
    name: 'a Bundle of type collection POSTed to the base is 400 (http.html#transaction)',
    path: '',
    init: post({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: validPatient('One') }] }),
    status: 400,
  },
  {
    name: 'a Patient POSTed to the base is 400 (http.html#transaction)',
    path: '',
    init: post(validPatient('One')),
    status: 400,
  },
  // --- search and conditional parameters the server cannot evaluate (search.html#errors)
  {
    name: 'If-None-Exist with an empty identifier token is 400 (http.html#ccreate, search.html#token)',
    path: 'Patient',
    init: post(validPatient('Cond'), { 'if-none-exist': 'identifier=|' }),
    status: 400,
  },
  {
    name: 'a JSON Patch sent as application/fhir+json is 415 (http.html#patch)',
    path: 'Patient/etag-target',
    setup: (hub) => ensure(hub, 'etag-target'),
    init: { method: 'PATCH', ...fhirJson([{ op: 'replace', path: '/active', value: false }]) },
    status: 415,
  },
  {
    name: 'a parameter named __proto__ is 400 (search.html#errors)',
    path: 'Patient?__proto__=x',
    init: { method: 'GET' },
    status: 400,
    expression: '__proto__',
  },
  {
    name: 'a _cursor whose values do not fit the sort keys is 400 (search.html#paging)',
    path: `Patient?_count=1&_sort=birthdate&_cursor=${Buffer.from(JSON.stringify({ v: ['x', 'y', 'z'], b: 0 })).toString('base64url')}`,
    init: { method: 'GET' },
    status: 400,
    expression: '_cursor',
  },
  {
    name: 'a FHIRPath Patch value whose part is not a list is 400 (fhirpatch.html)',
    path: 'Patient/etag-target',
    setup: (hub) => ensure(hub, 'etag-target'),
    init: {
      method: 'PATCH',
      ...fhirJson({ resourceType: 'Parameters', parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.name[0]' }, { name: 'value', part: 5 }] }] }),
    },
    status: 400,
  },
  {
    name: 'a transaction entry whose ifMatch is not a string is 400 at that element (http.html#transaction)',
    path: '',
    init: post({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient', id: 'x' }, request: { method: 'PUT', url: 'Patient/x', ifMatch: null } }] }),
    status: 400,
    expression: 'Bundle.entry[0].request.ifMatch',
  },
  {
    name: '2,000 nested XML elements are refused with 400, not a stack overflow (xml.html)',
    path: 'Patient',
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+xml' },
      body: `<Patient xmlns="http://hl7.org/fhir">${'<extension url="u">'.repeat(2000)}${'</extension>'.repeat(2000)}</Patient>`,
    },
    status: 400,
  },
  {
    name: 'a JSON Patch that is not an array of operations is 400 (http.html#patch)',
    path: 'Patient/etag-target',
    setup: (hub) => ensure(hub, 'etag-target'),
    init: { method: 'PATCH', headers: { 'content-type': 'application/json-patch+json' }, body: '{"op":"remove"}' },
    status: 400,
  },
]

t.test('bad input is refused with a 4xx OperationOutcome and writes nothing (http.html#create, operationoutcome.html)', async (t) => {
  const hub = await startTestServer(t)
  for (const c of CASES) {
    t.test(c.name, async (t) => {
      if (c.setup) await c.setup(hub)
      await expectRejected(t, hub, c.path, c.init, c)
    })
  }

  t.test('the store tables still exist after all of the above', async (t) => {
    const { rows } = await hub.server.db.pool.query(
      `SELECT to_regclass('resource') AS r, to_regclass('resource_history') AS h, to_regclass('conditional_guard') AS g`,
    )
    t.ok(rows[0].r && rows[0].h && rows[0].g, 'resource, resource_history and conditional_guard exist')
  })
})

t.test('conditional interactions whose only parameters are result parameters have no criteria: 400, nothing touched (http.html#cond-update, #cdelete, #ccreate)', async (t) => {
  // With exactly one Patient stored, criteria that filter nothing would "match" it.
  const cases: Array<[string, string, RequestInit]> = [
    ['conditional delete DELETE Patient?_format=json', 'Patient?_format=json', { method: 'DELETE' }],
    ['conditional update PUT Patient?_pretty=true', 'Patient?_pretty=true', put({ resourceType: 'Patient', active: false })],
    [
      'conditional patch PATCH Patient?_count=1',
      'Patient?_count=1',
      { method: 'PATCH', headers: { 'content-type': 'application/json-patch+json' }, body: '[{"op":"add","path":"/active","value":false}]' },
    ],
    ['conditional create with If-None-Exist: _summary=true', 'Patient', post(validPatient('New'), { 'if-none-exist': '_summary=true' })],
  ]
  for (const [name, path, init] of cases) {
    t.test(`${name} is 400`, async (t) => {
      const hub = await startTestServer(t)
      await ensure(hub, 'the-only-patient')
      await expectRejected(t, hub, path, init, { status: 400 })
      const res = await hub.fetch('Patient/the-only-patient')
      const body: any = await res.json()
      t.equal(res.status, 200, 'the Patient is still there')
      t.equal(body.meta?.versionId, '1', 'and unchanged')
    })
  }
})

t.test('a body over CASEHUB_BODY_LIMIT is 413 and writes nothing (http.html#create)', async (t) => {
  const hub = await startTestServer(t, { CASEHUB_BODY_LIMIT: '2048' })
  const big = { resourceType: 'Patient', name: [{ family: 'Large', given: ['x'.repeat(10 * 1024)] }] }
  t.ok(JSON.stringify(big).length > 10 * 1024)
  await expectRejected(t, hub, 'Patient', post(big), { status: 413 })
  const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [txEntry(big)] }
  await expectRejected(t, hub, '', post(bundle), { status: 413 })
  // a small body still goes through on the same server
  const small = await hub.fetch('Patient', post(validPatient('Small')))
  t.equal(small.status, 201)
})

t.test('SQL metacharacters in ids and search/conditional parameters are data, never SQL (search.html#token, http.html#ccreate)', async (t) => {
  const hub = await startTestServer(t)
  const create = async (identifier: object[]) => {
    const res = await hub.fetch('Patient', post({ resourceType: 'Patient', identifier }))
    t.equal(res.status, 201)
    return ((await res.json()) as any).id as string
  }
  const orOne = await create([{ system: 'urn:test', value: "x' OR 1=1--" }])
  const quoted = await create([{ system: 'urn:test', value: "a'b" }])
  const bobby = await create([{ value: "Robert'); DROP TABLE resource;--" }])
  await create([{ system: 'urn:test', value: 'x' }])
  await create([{ system: 'urn:test', value: '1' }])
  const total = await hub.rows()

  const search = async (t: Test, qs: string) => {
    const res = await hub.fetch(`Patient?${qs}`)
    const text = await res.text()
    t.equal(res.status, 200, `GET Patient?${qs} → 200 (got ${res.status}: ${text.slice(0, 300)})`)
    const body = JSON.parse(text)
    return ((body.entry ?? []) as any[]).filter((e) => e.search?.mode === 'match').map((e) => e.resource.id as string).sort()
  }

  t.test("identifier=x'%20OR%201=1-- finds exactly the resource with that value", async (t) => {
    t.same(await search(t, "identifier=x'%20OR%201=1--"), [orOne])
    t.same(await search(t, `identifier=urn:test|x'%20OR%201=1--`), [orOne])
    t.same(await search(t, `identifier=${encodeURIComponent("a'b")}`), [quoted])
    t.same(await search(t, `identifier=${encodeURIComponent("|Robert'); DROP TABLE resource;--")}`), [bobby])
    t.same(await search(t, `identifier=${encodeURIComponent("' OR ''='")}`), [])
    t.same(await search(t, `identifier=${encodeURIComponent('x" OR "1"="1')}`), [])
    t.same(await search(t, `identifier=${encodeURIComponent(`urn:test|x'}]`)}`), [])
  })

  t.test('_id with SQL text matches nothing and is not an error', async (t) => {
    t.same(await search(t, `_id=${encodeURIComponent("1' OR '1'='1")}`), [])
    t.same(await search(t, `_id=${encodeURIComponent("1';DROP TABLE resource;--")}`), [])
  })

  t.test("If-None-Exist: identifier=a'b returns the existing match; a new quoted value creates once", async (t) => {
    const existing = await hub.fetch('Patient', post({ resourceType: 'Patient' }, { 'if-none-exist': "identifier=a'b" }))
    t.equal(existing.status, 200)
    t.equal(((await existing.json()) as any).id, quoted)
    const criteria = `identifier=urn:test|${encodeURIComponent("c'); DELETE FROM resource;--")}`
    const body = { resourceType: 'Patient', identifier: [{ system: 'urn:test', value: "c'); DELETE FROM resource;--" }] }
    const first = await hub.fetch('Patient', post(body, { 'if-none-exist': criteria }))
    t.equal(first.status, 201)
    const second = await hub.fetch('Patient', post(body, { 'if-none-exist': criteria }))
    t.equal(second.status, 200)
    t.equal(((await second.json()) as any).id, ((await first.json()) as any).id)
    t.equal(await hub.rows(), total + 1)
  })

  t.test('conditional update and delete with SQL text in the criteria touch only exact matches', async (t) => {
    const before = await hub.rows()
    const updated = await hub.fetch(
      `Patient?identifier=x'%20OR%201=1--`,
      put({ resourceType: 'Patient', identifier: [{ system: 'urn:test', value: "x' OR 1=1--" }], active: true }),
    )
    t.equal(updated.status, 200)
    t.equal(((await updated.json()) as any).id, orOne)
    const deleted = await hub.fetch(`Patient?identifier=${encodeURIComponent("zz' OR '1'='1")}`, { method: 'DELETE' })
    t.equal(deleted.status, 200)
    t.equal(await hub.rows(), before)
    const { rows } = await hub.server.db.pool.query(`SELECT count(*)::int AS n FROM resource WHERE deleted`)
    t.equal(rows[0].n, 0, 'nothing was deleted')
  })

  t.test('ids with SQL text are refused and the tables are intact', async (t) => {
    const res = await hub.fetch(`Patient/${encodeURIComponent("1';DROP TABLE resource;--")}`)
    t.equal(res.status, 400)
    const { rows } = await hub.server.db.pool.query(
      `SELECT to_regclass('resource') AS r, to_regclass('resource_history') AS h, to_regclass('conditional_guard') AS g`,
    )
    t.ok(rows[0].r && rows[0].h && rows[0].g, 'resource, resource_history and conditional_guard exist')
    t.ok((await hub.rows()) >= total)
  })
})

t.test('a batch with one bad entry answers 200, the bad entry gets a 4xx outcome, the good ones are written (http.html#transaction)', async (t) => {
  const hub = await startTestServer(t)
  const before = await counts(hub)
  const res = await hub.fetch(
    '',
    post({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        txEntry(validPatient('Good-1')),
        txEntry({ resourceType: 'Observation', code: { text: 'BP' } }),
        txEntry(validPatient('Good-2')),
        { resource: { resourceType: 'Patient', id: 'xyz' }, request: { method: 'PUT', url: 'Patient/abc' } },
        { request: { method: 'GET', url: 'Foo/1' } },
        txEntry({ resourceType: 'Patient', birthDate: '1950-13-45' }),
      ],
    }),
  )
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/)
  const body: any = await res.json()
  t.equal(body.type, 'batch-response')
  t.equal(body.entry.length, 6)
  t.match(body.entry[0].response.status, /^201/)
  t.match(body.entry[2].response.status, /^201/)
  for (const [i, status] of [[1, 400], [3, 400], [4, 404], [5, 400]] as const) {
    const r = body.entry[i].response
    t.match(r.status, new RegExp(`^${status}`), `entry ${i} is ${status}`)
    t.equal(r.outcome?.resourceType, 'OperationOutcome', `entry ${i} carries an OperationOutcome`)
    t.ok(
      r.outcome?.issue?.some((x: any) => x.severity === 'error' && x.diagnostics),
      `entry ${i} outcome has an error with diagnostics`,
    )
  }
  t.ok(
    body.entry[1].response.outcome.issue.some((x: any) => (x.expression ?? []).includes('Bundle.entry[1].resource.status')),
    'entry 1 outcome points at Bundle.entry[1].resource.status',
  )
  t.ok(
    body.entry[5].response.outcome.issue.some((x: any) => (x.expression ?? []).includes('Bundle.entry[5].resource.birthDate')),
    'entry 5 outcome points at Bundle.entry[5].resource.birthDate',
  )
  t.same(await counts(hub), { resource: before.resource + 2, resource_history: before.resource_history + 2 })
})

t.test('odd but valid input is answered, not a 500: parameters named like object properties, dates at the ends of the calendar (search.html#date)', async (t) => {
  const hub = await startTestServer(t)
  const created = await hub.fetch('Patient', post({ resourceType: 'Patient', birthDate: '9999-12-31', deceasedDateTime: '0001-01-01T00:00:00+14:00' }))
  t.equal(created.status, 201, 'a birthDate in the last year FHIR can write')
  const id = ((await created.json()) as any).id
  for (const query of ['Patient?constructor=x', 'Patient?toString=1&hasOwnProperty=2', 'Patient?birthdate=0000', 'Patient?birthdate=sa9999', 'Patient?_lastUpdated=ap0001', 'Patient?_filter=birthdate%20eq%200000']) {
    const res = await hub.fetch(query)
    t.equal(res.status, 200, query)
    await res.arrayBuffer()
  }
  // R4's date type has no year 0000, but a search value may name it (then it is 1 BC to PostgreSQL)
  const early = await hub.fetch('Patient', post({ resourceType: 'Patient', birthDate: '0001-01-15' }))
  t.equal(early.status, 201, 'a birthDate in year 0001')
  const earlyId = ((await early.json()) as any).id
  t.notOk(((await (await hub.fetch('Patient?birthdate=0000')).json()) as any).entry?.length, 'year 0000 holds nobody')
  const sinceZero: any = await (await hub.fetch('Patient?birthdate=gt0000')).json()
  t.same(sinceZero.entry.map((e: any) => e.resource.id).sort(), [earlyId, id].sort(), 'everyone was born after year 0000')
  for (const query of ['_history?_since=0000-01-01T00:00:00Z', 'Patient/_history?_at=9999-12-31']) {
    const res = await hub.fetch(query)
    t.equal(res.status, 200, query)
    await res.arrayBuffer()
  }
  const sorted: any = await (await hub.fetch('Patient?_sort=birthdate&_count=1')).json()
  const next = sorted.link.find((l: any) => l.relation === 'next')?.url
  t.equal((await fetch(next)).status, 200, 'the cursor after a year-0000 birthDate is accepted back')
  const found: any = await (await hub.fetch('Patient?birthdate=9999-12-31')).json()
  t.same(found.entry.filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id), [id], 'found by its year-9999 birthDate')
  const before: any = await (await hub.fetch('Patient?birthdate=lt2000')).json()
  t.notOk(before.entry?.some((e: any) => e.resource.id === id), 'and not before 2000')
})

t.test('values too long for the search index: codes and URIs refused with 400 too-long, long text kept and found by its start (search.html#string)', async (t) => {
  const hub = await startTestServer(t)
  // random text: PostgreSQL compresses repetitive index entries, so 'x'.repeat(3000) would fit
  const long = randomBytes(1500).toString('hex')
  await expectRejected(t, hub, 'Patient', post({ resourceType: 'Patient', identifier: [{ system: 'urn:test', value: long }] }), { status: 400 })
  await expectRejected(t, hub, 'Patient', post({ resourceType: 'Patient', meta: { profile: [`http://example.org/${long}`] } }), { status: 400 })
  const refused: any = await (await hub.fetch('Patient', post({ resourceType: 'Patient', meta: { tag: [{ system: 'urn:test', code: long }] } }))).json()
  t.equal(refused.issue[0].code, 'too-long')
  t.match(refused.issue[0].diagnostics, /"_tag" is 3\d{3} bytes long/)

  const description = `Patients with a long description é ${randomBytes(2000).toString('hex')} end`
  const created = await hub.fetch('ValueSet', post({ resourceType: 'ValueSet', status: 'draft', url: 'http://example.org/vs/long', description }))
  t.equal(created.status, 201, 'a ValueSet with a 4,000-character description is written')
  const id = ((await created.json()) as any).id
  const find = async (value: string, modifier = '') =>
    (((await (await hub.fetch(`ValueSet?description${modifier}=${encodeURIComponent(value)}`)).json()) as any).entry ?? []).map((e: any) => e.resource.id)
  t.same(await find('patients with a long'), [id], 'found by the start of its text, folded')
  t.same(await find(description), [id], 'and by the whole text')
  t.same(await find(description, ':exact'), [id], ':exact compares the whole text')
  t.same(await find(`${description}!`, ':exact'), [], 'and tells a longer one apart')
  t.equal((await hub.fetch('Encounter?date=ge2020-00-10')).status, 400, 'month 00 is not a date')
})
