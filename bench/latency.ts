// Request-by-request latency for benchmarks that need each response's body (autocannon does not
// give it): a keep-alive HTTP client timed with the high-resolution clock, a runner that keeps N
// requests in flight, and the summary statistics that RESULTS.md reports.
import http from 'node:http'

export interface Timed<T = unknown> {
  status: number
  body: T
  ms: number
}

export class HttpClient {
  private readonly agent: http.Agent

  constructor(private readonly base: URL, connections: number) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: connections })
  }

  request<T>(method: string, path: string, body?: unknown): Promise<Timed<T>> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    return new Promise((resolve, reject) => {
      const started = process.hrtime.bigint()
      const req = http.request(
        new URL(path, this.base),
        {
          method,
          agent: this.agent,
          headers: { accept: 'application/fhir+json', ...(payload ? { 'content-type': 'application/fhir+json', 'content-length': payload.length } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const ms = Number(process.hrtime.bigint() - started) / 1e6
            const text = Buffer.concat(chunks).toString('utf8')
            resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T, ms })
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(payload)
    })
  }

  close() {
    this.agent.destroy()
  }
}

/** Runs `fn` over `items` with `concurrency` calls in flight; results in item order. */
export async function inFlight<I, R>(items: I[], concurrency: number, fn: (item: I) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane))
  return out
}

export interface Summary {
  n: number
  mean: number
  p50: number
  p95: number
  p99: number
  max: number
}

/** Nearest-rank percentiles of milliseconds. */
export function summarise(ms: number[]): Summary {
  const sorted = [...ms].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN
  return { n: sorted.length, mean: sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1), p50: at(50), p95: at(95), p99: at(99), max: sorted.at(-1) ?? NaN }
}

export const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1))
