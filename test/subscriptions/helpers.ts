// Test helpers for Subscriptions: a CaseHub with fast retries (and as many workers as asked),
// and a real rest-hook receiver on 127.0.0.1 that records every request it gets.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Resource } from '@medplum/fhirtypes'
import { loadConfig } from '../../src/config.js'
import { startServer } from '../../src/server.js'
import { createTestDatabase } from '../helpers/test-server.js'
import { FAST, type Hub } from '../routing/helpers.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface HookRequest {
  method: string
  /** path and query as received */
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export interface HookReceiver {
  /** http://127.0.0.1:PORT/hooks */
  url: string
  port: number
  requests: HookRequest[]
  /** requests answered 2xx */
  accepted: HookRequest[]
  close(): Promise<void>
}

/** `answer(n, request)` may return a status to send instead of 200 (n counts from 1). */
export async function startHookReceiver(t: Teardown, answer?: (n: number, req: HookRequest) => number | undefined, port = 0): Promise<HookReceiver> {
  const requests: HookRequest[] = []
  const accepted: HookRequest[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const r: HookRequest = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      requests.push(r)
      const status = answer?.(requests.length, r) ?? 200
      if (status < 300) accepted.push(r)
      res.writeHead(status, { 'content-type': 'application/fhir+json' })
      res.end(status < 300 ? '' : JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient', diagnostics: 'busy' }] }))
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
  return { url: `http://127.0.0.1:${actual}/hooks`, port: actual, requests, accepted, close }
}

/** A port nothing listens on (a receiver that is down). */
export async function freePort(t: Teardown): Promise<number> {
  const probe = await startHookReceiver(t)
  await probe.close()
  return probe.port
}

/** Like routing's startHub, with extra environment (e.g. CASEHUB_WORKERS) and worker options. */
export async function startSubscriptionHub(t: Teardown, env: Record<string, string> = {}, worker = FAST): Promise<Hub & { send(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> }> {
  const databaseUrl = await createTestDatabase(t)
  const logs: Hub['logs'] = []
  const log = (level: string, fields: Record<string, unknown>, msg: string) => void logs.push({ level, fields, msg })
  const server = await startServer(loadConfig({ PORT: '0', LOG_LEVEL: 'silent', ...env, DATABASE_URL: databaseUrl }), { worker: { ...worker, log } })
  t.teardown(() => server.close())
  const f = (path: string, init?: RequestInit) => fetch(`${server.url}/${path.replace(/^\//, '')}`, init)
  const send = async (method: string, path: string, body?: unknown) => {
    const res = await f(path, { method, headers: { 'content-type': 'application/fhir+json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined }
  }
  const ok = async (method: string, path: string, body: unknown) => {
    const r = await send(method, path, body)
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body
  }
  return {
    server,
    url: server.url,
    fetch: f,
    json: async (path) => (await f(path)).json(),
    put: async (r) => void (await ok('PUT', `${r.resourceType}/${r.id}`, r)),
    post: (r: Resource) => ok('POST', r.resourceType, r),
    logs,
    send,
  }
}

export function subscription(endpoint: string, criteria: string, extra: Record<string, unknown> = {}): any {
  return {
    resourceType: 'Subscription',
    status: 'requested',
    reason: 'Tell the GP practice about its referrals',
    criteria,
    channel: { type: 'rest-hook', endpoint, ...extra },
  } as Resource
}

export async function notificationRows(hub: Hub) {
  const { rows } = await hub.server.db.pool.query(`SELECT * FROM outbox WHERE kind = 'subscription-notification' ORDER BY seq`)
  return rows
}
