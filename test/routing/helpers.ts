// Test helpers for routing: a CaseHub with fast retry settings, a real FHIR receiver on
// 127.0.0.1 that honours conditional creates, and the destination and referral resources.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Bundle, Resource } from '@medplum/fhirtypes'
import { loadConfig } from '../../src/config.js'
import { startServer, type RunningServer } from '../../src/server.js'
import type { WorkerOptions } from '../../src/routing/worker.js'
import { createTestDatabase } from '../helpers/test-server.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export const FAST: Partial<WorkerOptions> = { baseDelayMs: 50, maxDelayMs: 400, pollMs: 100, timeoutMs: 2000 }

export interface Hub {
  server: RunningServer
  url: string
  fetch(path: string, init?: RequestInit): Promise<Response>
  json(path: string): Promise<any>
  put(resource: Resource & { id: string }): Promise<void>
  post(resource: Resource): Promise<any>
  logs: { level: string; fields: Record<string, unknown>; msg: string }[]
}

export async function startHub(t: Teardown, worker: Partial<WorkerOptions> | false = FAST, env: Record<string, string> = {}): Promise<Hub> {
  const databaseUrl = await createTestDatabase(t)
  const logs: Hub['logs'] = []
  const log = (level: string, fields: Record<string, unknown>, msg: string) => void logs.push({ level, fields, msg })
  const server = await startServer(loadConfig({ PORT: '0', LOG_LEVEL: 'silent', ...env, DATABASE_URL: databaseUrl }), {
    worker: worker === false ? false : { ...worker, log },
  })
  t.teardown(() => server.close())
  const f = (path: string, init?: RequestInit) => fetch(`${server.url}/${path.replace(/^\//, '')}`, init)
  const send = async (method: string, path: string, body: unknown) => {
    const res = await f(path, { method, headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) })
    const out: any = await res.json()
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(out)}`)
    return out
  }
  return {
    server,
    url: server.url,
    fetch: f,
    json: async (path) => (await f(path)).json(),
    put: async (r) => void (await send('PUT', `${r.resourceType}/${r.id}`, r)),
    post: (r) => send('POST', r.resourceType, r),
    logs,
  }
}

export interface Answer {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

/** A FHIR receiver: answers transaction Bundles, honouring ifNoneExist; `answer` may override. */
export interface Receiver {
  url: string
  port: number
  /** every POST received */
  requests: Bundle[]
  /** the HTTP headers of each POST */
  headers: IncomingMessage['headers'][]
  /** referrals created, by their ifNoneExist criteria */
  created: Map<string, number>
  close(): Promise<void>
}

export async function startReceiver(t: Teardown, answer?: (n: number, bundle: Bundle) => Answer | undefined, port = 0): Promise<Receiver> {
  const requests: Bundle[] = []
  const headers: IncomingMessage['headers'][] = []
  const created = new Map<string, number>()
  const existing = new Map<string, string>()
  let counter = 0
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const bundle = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Bundle
      requests.push(bundle)
      headers.push(req.headers)
      const given = answer?.(requests.length, bundle)
      const reply = (a: Answer) => {
        res.writeHead(a.status, { 'content-type': 'application/fhir+json', ...a.headers })
        res.end(a.body === undefined ? '' : JSON.stringify(a.body))
      }
      if (given) return reply(given)
      const entries = (bundle.entry ?? []).map((e) => {
        const key = `${e.request?.url}?${e.request?.ifNoneExist ?? ''}`
        const found = e.request?.ifNoneExist ? existing.get(key) : undefined
        if (found) return { response: { status: '200 OK', location: found } }
        const location = `${e.request?.url}/${++counter}/_history/1`
        if (e.request?.ifNoneExist) existing.set(key, location)
        if (e.resource?.resourceType === 'ServiceRequest') created.set(key, (created.get(key) ?? 0) + 1)
        return { response: { status: '201 Created', location } }
      })
      reply({ status: 200, body: { resourceType: 'Bundle', type: 'transaction-response', entry: entries } })
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const actual = (server.address() as AddressInfo).port
  let closed = false
  const close = () => {
    if (closed) return Promise.resolve()
    closed = true
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  }
  t.teardown(close)
  return { url: `http://127.0.0.1:${actual}/fhir`, port: actual, requests, headers, created, close }
}

/** A HealthcareService with an active Endpoint at `address`, and a patient. */
export async function seedDestination(hub: Hub, address: string, suffix = '1') {
  await hub.put({
    resourceType: 'Endpoint',
    id: `ep-${suffix}`,
    status: 'active',
    connectionType: { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'hl7-fhir-rest' },
    payloadType: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/endpoint-payload-type', code: 'any' }] }],
    address,
  } as Resource & { id: string })
  await hub.put({
    resourceType: 'HealthcareService',
    id: `hs-${suffix}`,
    active: true,
    name: `Trafford Social Prescribing ${suffix}`,
    endpoint: [{ reference: `Endpoint/ep-${suffix}` }],
  } as Resource & { id: string })
  await hub.put({
    resourceType: 'Patient',
    id: 'pat-1',
    identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9990000018' }],
    name: [{ family: 'Onward', given: ['Olive'] }],
    birthDate: '1950-01-01',
    gender: 'female',
    telecom: [{ system: 'phone', value: '07700900000' }],
    address: [{ postalCode: 'M33 7XX' }],
  } as Resource & { id: string })
}

export function onwardReferral(suffix = '1', extra: Record<string, unknown> = {}): Resource {
  return {
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'order',
    code: { text: 'Social prescribing' },
    subject: { reference: 'Patient/pat-1' },
    performer: [{ reference: `HealthcareService/hs-${suffix}` }],
    ...extra,
  } as Resource
}

/** Waits until `check` returns a truthy value (polling), or fails after `ms`. */
export async function until<T>(check: () => Promise<T> | T, ms = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await check()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

export async function outboxRows(hub: Hub) {
  const { rows } = await hub.server.db.pool.query('SELECT * FROM outbox ORDER BY created_at')
  return rows
}

export async function trackingTask(hub: Hub, serviceRequestId: string) {
  const bundle = await hub.json(`Task?focus=ServiceRequest/${serviceRequestId}`)
  return bundle.entry?.[0]?.resource
}

/** Listens on a free loopback port, closed at teardown; the FHIR base URL served there. */
export async function listenOnLoopback(t: Teardown, server: import('node:http').Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise<void>((r) => server.close(() => r()))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`
}
