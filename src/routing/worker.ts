// The outbox worker (STYLE.md request walk-through step 8): claims due rows with
// FOR UPDATE SKIP LOCKED in one short statement, delivers each, then marks it delivered,
// reschedules it with exponential backoff and jitter (at least the receiver's Retry-After), or
// dead-letters it — updating CaseHub's tracking Task in the same transaction as the outbox row.
// Woken by LISTEN/NOTIFY; polls as a fallback. Several workers (in one process or many) may
// share one queue: a row is claimed by one of them at a time.
import type { Endpoint, HealthcareService, OperationOutcome, Patient, ServiceRequest, Task } from '@medplum/fhirtypes'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { systemContext } from '../store/context.js'
import type { ResourceStore } from '../store/types.js'
import { deliver, outcomeText, type DeliveryResult } from './delivery.js'
import { deliveryBundle } from './payload.js'
import { CLAIM, DEAD, DELIVERED, NEXT_DUE, OUTBOX_CHANNEL, RESCHEDULE, sqlOf, type OutboxRow } from './sql.js'

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
  /** rows claimed and delivered at once (default 16) */
  batchSize: number
  /** one HTTP attempt's time limit (default 10 s) */
  timeoutMs: number
  /** a claim older than this is abandoned (its worker died) and taken over (default 5 min) */
  lockTimeoutMs: number
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
  batchSize: 16,
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

export class OutboxWorker {
  readonly options: WorkerOptions
  readonly name: string
  private running = false
  private loop?: Promise<void>
  private listener?: pg.Client
  private wake?: () => void
  private woken = false

  constructor(private readonly db: OutboxDatabase, options: Partial<WorkerOptions> = {}) {
    this.options = { ...DEFAULT_WORKER_OPTIONS, ...options }
    this.name = options.name ?? `worker-${randomUUID().slice(0, 8)}`
  }

  private log(level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string) {
    this.options.log?.(level, { worker: this.name, ...fields }, msg)
  }

  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    await this.listen()
    this.loop = this.run()
  }

  /** Stops claiming; waits for deliveries in flight to finish and be recorded. */
  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    this.poke()
    await this.loop
    const listener = this.listener
    this.listener = undefined
    await listener?.end().catch(() => undefined)
  }

  private poke() {
    this.woken = true
    this.wake?.()
  }

  private async listen() {
    const client = new pg.Client({ connectionString: this.db.url })
    client.on('error', (err) => {
      this.log('warn', { err: err.message }, 'outbox LISTEN connection lost; polling until it is back')
      if (this.listener === client) this.listener = undefined
    })
    client.on('notification', () => this.poke())
    try {
      await client.connect()
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`)
      this.listener = client
    } catch (err) {
      this.log('warn', { err: (err as Error).message }, 'outbox LISTEN failed; polling')
      await client.end().catch(() => undefined)
    }
  }

  private async run() {
    while (this.running) {
      let claimed = 0
      try {
        if (!this.listener) await this.listen()
        claimed = await this.runOnce()
      } catch (err) {
        this.log('error', { err: (err as Error).message }, 'outbox worker cycle failed')
      }
      if (claimed === 0 && this.running) await this.sleep()
    }
  }

  /** Claims one batch and delivers it; returns how many rows were claimed. */
  async runOnce(): Promise<number> {
    const { rows } = await this.db.pool.query<OutboxRow>(CLAIM, [this.name, this.options.batchSize, this.options.lockTimeoutMs])
    await Promise.all(rows.map((row) => this.process(row)))
    return rows.length
  }

  private async sleep() {
    if (this.woken) {
      this.woken = false
      return
    }
    let ms = this.options.pollMs
    try {
      const { rows } = await this.db.pool.query(NEXT_DUE)
      if (rows[0].ms !== null) ms = Math.min(ms, Math.max(5, Number(rows[0].ms)))
    } catch {
      // the database is away: poll again later
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.wake = () => {
        clearTimeout(timer)
        resolve()
      }
      if (this.woken) this.wake()
    })
    this.wake = undefined
    this.woken = false
  }

  private async process(row: OutboxRow) {
    const started = performance.now()
    let result: DeliveryResult
    try {
      result = await this.attempt(row)
    } catch (err) {
      result = { kind: 'retry', error: `CaseHub could not prepare the delivery: ${(err as Error).message}` }
    }
    const fields = { outbox: row.id, endpoint: row.endpoint_id, attempt: row.attempts, ms: Math.round(performance.now() - started), status: result.status }
    try {
      await this.record(row, result, fields)
    } catch (err) {
      // The claim lapses after lockTimeoutMs and the row is tried again (conditional creates
      // keep a second delivery from making a duplicate at the receiver).
      this.log('error', { ...fields, err: (err as Error).message }, 'outbox result could not be recorded')
    }
  }

  /** Reads what to send (as it stands now) and sends it. */
  private async attempt(row: OutboxRow): Promise<DeliveryResult> {
    const store = this.db.store(systemContext(`outbox-${row.id}`))
    const read = async <T>(type: string, id: string | null | undefined): Promise<T | undefined> => {
      const v = id ? await store.read(type, id) : undefined
      return v && !v.deleted && v.json ? (JSON.parse(v.json) as T) : undefined
    }
    const endpoint = await read<Endpoint>('Endpoint', row.endpoint_id)
    if (!endpoint?.address || endpoint.status !== 'active') {
      return { kind: 'retry', error: `Endpoint/${row.endpoint_id} is not active or has no address` }
    }
    const referral = await read<ServiceRequest>(row.payload_type, row.payload_id)
    if (!referral) return { kind: 'dead', error: `${row.payload_type}/${row.payload_id} is no longer held here` }
    const patientId = /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(referral.subject?.reference ?? '')?.[1]
    const patient = await read<Patient>('Patient', patientId)
    const service = await read<HealthcareService>('HealthcareService', row.service_id)
    const bundle = deliveryBundle({ referral, patient, taskId: row.task_id ?? row.id, receiver: service?.name, baseUrl: this.options.baseUrl })
    return deliver(endpoint.address, bundle, { timeoutMs: this.options.timeoutMs })
  }

  private async record(row: OutboxRow, result: DeliveryResult, fields: Record<string, unknown>) {
    const store = this.db.store(systemContext(`outbox-${row.id}`))
    const track = this.options.track
    if (result.kind === 'retry' && row.attempts < row.max_attempts) {
      const delay = Math.max(backoffMs(row.attempts, this.options), Math.min(result.retryAfterMs ?? 0, this.options.maxRetryAfterMs))
      await this.db.pool.query(RESCHEDULE, [row.id, this.name, delay, result.error])
      this.log('warn', { ...fields, retryInMs: delay, error: result.error }, 'outbox delivery failed; will retry')
      return
    }
    await store.transaction(async (tx) => {
      const sql = sqlOf(tx)
      if (result.kind === 'delivered') {
        const { rowCount } = await sql.query(DELIVERED, [row.id, this.name])
        if (!rowCount) return
        if (row.task_id && track) await track(tx, row.task_id, { status: 'received', location: receiverLocation(result.response) })
      } else {
        const error = result.kind === 'retry' ? `gave up after ${row.attempts} attempts; last: ${result.error}` : result.error
        const { rowCount } = await sql.query(DEAD, [row.id, this.name, error])
        if (!rowCount) return
        const outcome: OperationOutcome = (result.kind === 'dead' && result.outcome) || {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'transient', diagnostics: error }],
        }
        if (row.task_id && track) await track(tx, row.task_id, { status: 'failed', reason: outcomeText(outcome) ?? error, outcome })
      }
    })
    if (result.kind === 'delivered') this.log('info', fields, 'outbox delivery done')
    else this.log('warn', { ...fields, error: result.error }, 'outbox delivery dead-lettered')
  }
}

/** Where the receiver put its Task (the last entry of the transaction response). */
function receiverLocation(response: { entry?: { response?: { location?: string } }[] } | undefined): string | undefined {
  const entries = response?.entry ?? []
  return entries[entries.length - 1]?.response?.location
}
