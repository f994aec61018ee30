// The outbox worker's settings and the types it shares with its callers (worker.ts re-exports
// them): what a delivery's result means for the tracking Task, the log hook, the options with
// their defaults, and the backoff between attempts.
import type { OperationOutcome } from '@medplum/fhirtypes'
import type pg from 'pg'
import type { systemContext } from '../store/context.js'
import type { ResourceStore } from '../store/types.js'

/** What a delivery's result means for the tracking Task (the caller decides how to record it). */
export type TrackingMark =
  | { status: 'received'; location?: string }
  | { status: 'failed'; reason: string; outcome: OperationOutcome }

/** Records a mark on the tracking Task, in the transaction that updates the outbox row. */
export type Tracker = (tx: ResourceStore, taskId: string, mark: TrackingMark) => Promise<void>

export type OutboxLog = (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string) => void

export interface WorkerOptions {
  /** first retry delay; doubles each attempt (default 1 s) */
  baseDelayMs: number
  /** longest retry delay (default 10 min) */
  maxDelayMs: number
  /** longest receiver Retry-After honoured (default 1 h) */
  maxRetryAfterMs: number
  /** fallback poll when no NOTIFY arrives (default 1 s) */
  pollMs: number
  /** rows claimed and delivered at once (default 32: bench/routing.ts measured 16 → 32 as +4 %, 64 no better) */
  batchSize: number
  /** one HTTP attempt's time limit (default 10 s) */
  timeoutMs: number
  /** a claim older than this is abandoned (its worker died) and taken over (default 5 min) */
  lockTimeoutMs: number
  /** Endpoint secrets by name (config.endpointSecrets); an Endpoint names one for its Authorization header */
  secrets?: Readonly<Record<string, string>>
  /** CaseHub's FHIR base URL: references to resources not sent are made absolute */
  baseUrl?: string
  log?: OutboxLog
  /** moves the tracking Task (casework's); without one, only the outbox row is updated */
  track?: Tracker
  /** names this worker in outbox.locked_by */
  name?: string
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  baseDelayMs: 1000,
  maxDelayMs: 10 * 60_000,
  maxRetryAfterMs: 60 * 60_000,
  pollMs: 1000,
  batchSize: 32,
  timeoutMs: 10_000,
  lockTimeoutMs: 5 * 60_000,
}

/** What the worker needs of the Database (store/database.ts). */
export interface OutboxDatabase {
  pool: pg.Pool
  url: string
  store(context: ReturnType<typeof systemContext>): ResourceStore
}

/** Exponential backoff with equal jitter: [d/2, d) for d = base·2^(attempt-1), capped. */
export function backoffMs(attempt: number, o: Pick<WorkerOptions, 'baseDelayMs' | 'maxDelayMs'>, random = Math.random): number {
  const d = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(d / 2 + (random() * d) / 2)
}
