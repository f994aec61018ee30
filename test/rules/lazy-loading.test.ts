// The server starts without the CQL toolchain, which loads when it is needed (start-up time:
// seconds): the engine (cql-execution, cql-exec-fhir) with the first evaluation, the translator
// (@cqframework/cql) only when CQL without ELM is compiled. CaseHub's own libraries run on
// their shipped ELM, so evaluating them never loads the translator.
import t from 'tap'
import { register } from 'node:module'
import { MessageChannel } from 'node:worker_threads'

// A resolve hook reports every module this process loads from now on. The server is imported
// below, after it is registered (a static import would be loaded before).
const loaded = new Set<string>()
const { port1, port2 } = new MessageChannel()
port1.on('message', (url: string) => loaded.add(url))
port1.unref()
const hooks = `
let port
export function initialize(data) { port = data.port }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context)
  port.postMessage(resolved.url)
  return resolved
}`
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { port: port2 }, transferList: [port2] })

/** Whether a module under `path` was loaded; the hook's messages are waited for first. */
async function wasLoaded(path: string): Promise<boolean> {
  await new Promise((resolve) => setTimeout(resolve, 100))
  return [...loaded].some((url) => url.includes(path))
}
const TRANSLATOR = '/node_modules/@cqframework/cql/'
const ENGINE = '/node_modules/cql-execution/'

t.test('the CQL engine and translator load when they are needed', async (t) => {
  const { startTestServer } = await import('../helpers/test-server.js')
  const hub = await startTestServer(t)
  t.ok(await wasLoaded('/src/app.ts'), 'the hook sees the server\'s modules')
  t.notOk(await wasLoaded(ENGINE), 'a started server has not loaded the engine')
  t.notOk(await wasLoaded(TRANSLATOR), 'nor the translator')

  await hub.client.update({ resourceType: 'Patient', id: 'lazy-1', body: { resourceType: 'Patient', id: 'lazy-1', birthDate: '1950-01-01' } })
  const res = await hub.fetch('Patient/lazy-1/$eligibility')
  t.equal(res.status, 200, '$eligibility answers')
  t.ok(await wasLoaded(ENGINE), 'an evaluation loads the engine')
  t.notOk(await wasLoaded(TRANSLATOR), 'CaseHub\'s shipped ELM needs no translator')

  const cql = "library Lazy version '1.0.0'\nusing FHIR version '4.0.1'\ndefine \"A\": 1 +\n"
  const bad = await hub.fetch('Library', {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Library', url: 'https://example.org/Library/Lazy', version: '1.0.0', status: 'draft',
      type: { coding: [{ code: 'logic-library' }] }, content: [{ contentType: 'text/cql', data: Buffer.from(cql).toString('base64') }],
    }),
  })
  t.equal(bad.status, 422, 'uploaded CQL that does not compile is refused')
  t.ok(await wasLoaded(TRANSLATOR), 'compiling uploaded CQL loads the translator')
})
