// One delivery attempt: POST the transaction Bundle to the Endpoint with fhir-kit-client and
// say what happened — delivered, worth retrying (with the receiver's Retry-After), or never
// going to work (dead).
import type { Bundle, OperationOutcome } from '@medplum/fhirtypes'
import { Client } from 'fhir-kit-client'

export type DeliveryResult =
  | { kind: 'delivered'; status: number; response?: Bundle }
  | { kind: 'retry'; status?: number; error: string; retryAfterMs?: number }
  | { kind: 'dead'; status?: number; error: string; outcome?: OperationOutcome }

/** 4xx answers that the same request will always get again (issue 6: 400, 404, 409, 422). */
export const PERMANENT_STATUSES: readonly number[] = [400, 404, 409, 410, 422]

const clients = new Map<string, InstanceType<typeof Client>>()
/** One client per base URL, so its keep-alive agent is reused. */
function clientFor(baseUrl: string) {
  let c = clients.get(baseUrl)
  if (!c) clients.set(baseUrl, (c = new Client({ baseUrl })))
  return c
}

/** Retry-After (http-semantics: delay-seconds or an HTTP-date), in ms. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/** What an OperationOutcome says, as one line. */
export function outcomeText(o: OperationOutcome | undefined): string | undefined {
  const parts = (o?.issue ?? []).map((i) => [i.severity, i.code, i.details?.text ?? i.diagnostics].filter(Boolean).join(': '))
  return parts.length ? parts.join('; ') : undefined
}

export async function deliver(
  address: string,
  bundle: Bundle,
  opts: { timeoutMs: number; permanent?: readonly number[]; headers?: Record<string, string> },
): Promise<DeliveryResult> {
  try {
    const response = (await clientFor(address.replace(/\/+$/, '')).transaction({
      body: bundle,
      // headers may carry an Authorization secret: they are never logged or put in an error
      options: { headers: { ...opts.headers, 'content-type': 'application/fhir+json' }, signal: AbortSignal.timeout(opts.timeoutMs) },
    } as never)) as unknown as Bundle
    return { kind: 'delivered', status: 200, response }
  } catch (err) {
    const e = err as Error & { response?: { status: number; data: unknown }; config?: { headers?: Headers } }
    const status = e.response?.status
    if (status === undefined) return { kind: 'retry', error: e.name === 'TimeoutError' ? `timed out after ${opts.timeoutMs} ms` : `${e.name}: ${e.message}` }
    const data = e.response!.data as OperationOutcome | string | undefined
    const outcome = data && typeof data === 'object' && data.resourceType === 'OperationOutcome' ? data : undefined
    const error = `HTTP ${status}${outcome ? `: ${outcomeText(outcome)}` : ''}`.slice(0, 2000)
    if ((opts.permanent ?? PERMANENT_STATUSES).includes(status)) return { kind: 'dead', status, error, outcome }
    return { kind: 'retry', status, error, retryAfterMs: retryAfterMs(e.config?.headers?.get?.('retry-after')) }
  }
}
