// One plain HTTP request (no FHIR client): for deliveries that are not a transaction Bundle,
// such as a rest-hook notification. The answer is read the way delivery.ts reads a FHIR
// server's: 2xx delivered, a 4xx that will not change dead, anything else worth retrying.
// Headers may carry credentials: they are never logged or put into an error.
import type { OperationOutcome } from '@medplum/fhirtypes'
import { outcomeText, PERMANENT_STATUSES, retryAfterMs, type DeliveryResult } from './delivery.js'

export interface HttpRequest {
  method: 'POST' | 'PUT'
  url: string
  headers: Record<string, string>
  /** absent: an empty body */
  body?: string
  timeoutMs: number
  permanent?: readonly number[]
}

async function outcomeOf(res: Response): Promise<OperationOutcome | undefined> {
  if (!/json/.test(res.headers.get('content-type') ?? '')) return undefined
  try {
    const data = (await res.json()) as OperationOutcome
    return data?.resourceType === 'OperationOutcome' ? data : undefined
  } catch {
    return undefined
  }
}

export async function sendHttp(req: HttpRequest): Promise<DeliveryResult> {
  let res: Response
  try {
    res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body ?? '',
      redirect: 'manual',
      signal: AbortSignal.timeout(req.timeoutMs),
    })
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } }
    if (e.name === 'TimeoutError') return { kind: 'retry', error: `timed out after ${req.timeoutMs} ms` }
    return { kind: 'retry', error: `${e.name}: ${e.cause?.code ?? e.message}` }
  }
  const status = res.status
  if (status >= 200 && status < 300) {
    await res.body?.cancel().catch(() => undefined)
    return { kind: 'delivered', status }
  }
  const outcome = await outcomeOf(res)
  const error = `HTTP ${status}${outcome ? `: ${outcomeText(outcome)}` : ''}`.slice(0, 2000)
  if ((req.permanent ?? PERMANENT_STATUSES).includes(status)) return { kind: 'dead', status, error, outcome }
  return { kind: 'retry', status, error, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) }
}
