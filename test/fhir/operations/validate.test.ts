// $validate — operation-resource-validate.html: 200 with an OperationOutcome whether or not the
// content is valid; 4xx only when the validation could not be performed.
import t from 'tap'
import { startTestServer, type TestServer } from '../../helpers/test-server.js'
import { birthDateProfile, PROFILE_URL } from '../../helpers/profiles.js'

async function call(hub: TestServer, path: string, body?: object, method = 'POST') {
  const res = await hub.fetch(path, {
    method,
    headers: body ? { 'content-type': 'application/fhir+json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  })
  return { status: res.status, body: (await res.json()) as any }
}

const errorsOf = (outcome: any) => outcome.issue.filter((i: any) => i.severity === 'error')

t.test('$validate', async (t) => {
  const hub = await startTestServer(t)
  await call(hub, 'StructureDefinition', birthDateProfile())
  const stored: any = await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', birthDate: '1970-01-01' } })
  const before = await hub.rows()

  const cases: { name: string; path: string; body?: object; method?: string; status: number; errors: number; expression?: string; text?: RegExp }[] = [
    { name: 'a valid resource as the body', path: 'Patient/$validate', body: { resourceType: 'Patient', gender: 'female' }, status: 200, errors: 0, text: /No issues/ },
    { name: 'an invalid resource as the body: 200 with the error and its location', path: 'Patient/$validate', body: { resourceType: 'Patient', gender: 'woman' }, status: 200, errors: 1, expression: 'Patient.gender' },
    { name: 'the resource in a Parameters body', path: 'Patient/$validate', body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient', birthDate: '1970-13-01' } }] }, status: 200, errors: 1, expression: 'Patient.birthDate' },
    { name: 'a nominated profile (Parameters)', path: 'Patient/$validate', body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient' } }, { name: 'profile', valueUri: PROFILE_URL }] }, status: 200, errors: 1, expression: 'Patient.birthDate' },
    { name: 'a nominated profile (query)', path: `Patient/$validate?profile=${encodeURIComponent(PROFILE_URL)}`, body: { resourceType: 'Patient', birthDate: '1990-01-01' }, status: 200, errors: 0 },
    { name: 'the profile claimed in meta.profile', path: 'Patient/$validate', body: { resourceType: 'Patient', meta: { profile: [PROFILE_URL] } }, status: 200, errors: 1, expression: 'Patient.birthDate' },
    { name: 'an unknown nominated profile cannot be validated against', path: 'Patient/$validate?profile=https://example.org/nope', body: { resourceType: 'Patient' }, status: 400, errors: 1, text: /not known/ },
    { name: 'a resource of another type than the URL', path: 'Patient/$validate', body: { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, status: 200, errors: 1 },
    { name: 'mode=update: the id must match', path: `Patient/${stored.id}/$validate?mode=update`, body: { resourceType: 'Patient', id: 'other' }, status: 200, errors: 1, expression: 'Patient.id' },
    { name: 'mode=update on the type is not possible', path: 'Patient/$validate?mode=update', body: { resourceType: 'Patient' }, status: 400, errors: 1, expression: 'mode' },
    { name: 'an unknown mode', path: 'Patient/$validate?mode=upsert', body: { resourceType: 'Patient' }, status: 400, errors: 1, expression: 'mode' },
    { name: 'mode=delete of an ordinary resource is allowed', path: `Patient/${stored.id}/$validate?mode=delete`, status: 200, errors: 0 },
    { name: 'instance level without a body validates the stored version', path: `Patient/${stored.id}/$validate`, method: 'GET', status: 200, errors: 0 },
    { name: 'instance level on an unknown id', path: 'Patient/nope/$validate', method: 'GET', status: 404, errors: 1 },
    { name: 'a body that is not JSON', path: 'Patient/$validate', status: 400, errors: 1 },
    { name: 'an unknown query parameter', path: 'Patient/$validate?colour=red', body: { resourceType: 'Patient' }, status: 400, errors: 1, expression: 'colour' },
  ]
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const res = c.name.startsWith('a body that is not JSON')
        ? await hub.fetch(c.path, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: '{oops' }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }))
        : await call(hub, c.path, c.body, c.method)
      t.equal(res.status, c.status)
      t.equal(res.body.resourceType, 'OperationOutcome')
      t.equal(errorsOf(res.body).length, c.errors, JSON.stringify(res.body.issue))
      if (c.expression) t.ok(res.body.issue.some((i: any) => i.expression?.includes(c.expression)), `location ${c.expression}`)
      if (c.text) t.match(res.body.issue.map((i: any) => i.diagnostics).join(' '), c.text)
    })
  }

  t.test('nothing is ever stored by $validate', async (t) => {
    t.equal(await hub.rows(), before)
  })

  t.test('an unknown operation is 404 with an OperationOutcome', async (t) => {
    const res = await call(hub, 'Patient/$frobnicate', { resourceType: 'Parameters' })
    t.equal(res.status, 404)
    t.match(res.body.issue[0].diagnostics, /\$frobnicate is not supported on Patient/)
  })
})
