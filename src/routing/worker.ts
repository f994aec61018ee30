// The outbox worker (STYLE.md request walk-through step 8): claims due rows with
// FOR UPDATE SKIP LOCKED in one short statement, delivers each, then marks it delivered,
// reschedules it with exponential backoff and jitter (at least the receiver's Retry-After), or
// dead-letters it — updating CaseHub's tracking Task in the same transaction as the outbox row.
// Woken by LISTEN/NOTIFY; polls as a fallback. Several workers (in one process or many) may
// share one queue: a row is claimed by one of them at a time.
import type { Endpoint, HealthcareService, OperationOutcome, Patient, ServiceRequest } from '@medplum/fhirtypes'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { systemContext } from '../store/context.js'
import type { ResourceStore } from '../store/types.js'
import { deliver, outcomeText, type DeliveryResult } from './delivery.js'
import { deliveryBundle } from './payload.js'
import { CLAIM, DEAD, DELIVERED, DELIVERED_MANY, NEXT_DUE, OUTBOX_CHANNEL, RELEASE, RESCHEDULE, sqlOf, type OutboxRow } from './sql.js'
import { endpointHeaders } from './endpoint-auth.js'
import { prefetchOnward, type BatchResources } from './prefetch.js'
import { asKindRow, deliveryKind, ONWARD_REFERRAL_KIND, unknownKind } from './kinds.js'
import { backoffMs, DEFAULT_WORKER_OPTIONS, type OutboxDatabase, type WorkerOptions } from './worker-options.js'

export * from './worker-options.js'

export class OutboxWorker {
  readonly options: WorkerOptions
  readonly name: string
  private running = false
  private loop?: Promise<void>
  private listener?: pg.Client
  private wake?: () => void
  private woken = false
  /** the last claimed batch's deliveries being recorded (runOnce) */
  private recording: Promise<void> = Promise.resolve()

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
    await this.recording
    // Deliveries in flight have finished; a row still claimed (its result could not be recorded)
    // is handed back at once rather than after the lock timeout.
    await this.db.pool.query(RELEASE, [this.name]).catch((err) => this.log('warn', { err: (err as Error).message }, 'outbox claims not released'))
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
    if (!rows.length) return 0
    // One read per resource type for the whole batch; if that fails, each attempt reads its own.
    const batch = await prefetchOnward(this.db.store(systemContext(`outbox-batch-${this.name}`)), rows).catch(() => new Map() as BatchResources)
    const done = await Promise.all(rows.map((row) => this.process(row, batch)))
    // Recording a batch (a tracking Task version per row) takes longer than delivering it, so it
    // runs while the next batch is claimed and delivered; at most one batch waits to be recorded.
    const previous = this.recording
    this.recording = previous.then(() => this.recordDelivered(done.filter((d): d is Done => d !== undefined)))
    await previous
    return rows.length
  }

  /**
   * The batch's deliveries are recorded in one transaction — one commit for the batch, not one
   * per row (bench/routing.ts). Should that fail, each is recorded on its own, so one bad row
   * cannot hold the others back.
   */
  private async recordDelivered(done: Done[]) {
    if (done.length > 1) {
      try {
        await this.db.store(systemContext(`outbox-batch-${this.name}`)).transaction(async (tx) => {
          const { rows } = await sqlOf(tx).query(DELIVERED_MANY, [done.map((d) => d.row.id), this.name])
          const mine = new Set(rows.map((r) => r.id as string))
          // the tracking Tasks, locked and read in one statement rather than one each
          await tx.lockForUpdate('Task', done.flatMap((d) => (mine.has(d.row.id) && d.row.task_id ? [d.row.task_id] : [])))
          for (const d of done) if (mine.has(d.row.id)) await this.afterDelivered(tx, d.row, d.result)
        })
        for (const d of done) this.log('info', d.fields, 'outbox delivery done')
        return
      } catch (err) {
        this.log('warn', { err: (err as Error).message, rows: done.length }, 'outbox batch not recorded together; recording each row alone')
      }
    }
    for (const d of done) {
      try {
        await this.record(d.row, d.result, d.fields)
      } catch (err) {
        // The claim lapses after lockTimeoutMs and the row is tried again (conditional creates
        // keep a second delivery from making a duplicate at the receiver).
        this.log('error', { ...d.fields, err: (err as Error).message }, 'outbox result could not be recorded')
      }
    }
  }

  /** In the transaction that marks `row` delivered: the tracking Task and the kind's own step. */
  private async afterDelivered(tx: ResourceStore, row: OutboxRow, result: Delivered) {
    if (row.task_id && this.options.track) await this.options.track(tx, row.task_id, { status: 'received', location: receiverLocation(result.response) })
    await deliveryKind(row.kind)?.delivered?.(tx, asKindRow(row), this.options.baseUrl)
  }

  private async sleep() {
    if (this.woken) {
      this.woken = false
      return
    }
    let ms = this.options.pollMs
    try {
      const { rows } = await this.db.pool.query(NEXT_DUE, [this.options.lockTimeoutMs])
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

  /** Attempts one row; a delivery is handed back to be recorded with the batch, anything else is recorded now. */
  private async process(row: OutboxRow, batch: BatchResources): Promise<Done | undefined> {
    const started = performance.now()
    let result: DeliveryResult
    try {
      result = await this.attempt(row, batch)
    } catch (err) {
      result = { kind: 'retry', error: `CaseHub could not prepare the delivery: ${(err as Error).message}` }
    }
    const fields = { outbox: row.id, endpoint: row.endpoint_id, attempt: row.attempts, ms: Math.round(performance.now() - started), status: result.status }
    if (result.kind === 'delivered') return { row, result, fields }
    try {
      await this.record(row, result, fields)
    } catch (err) {
      // The claim lapses after lockTimeoutMs and the row is tried again (conditional creates
      // keep a second delivery from making a duplicate at the receiver).
      this.log('error', { ...fields, err: (err as Error).message }, 'outbox result could not be recorded')
    }
  }

  /** Reads what to send (as it stands now) and sends it. */
  private async attempt(row: OutboxRow, batch: BatchResources = new Map()): Promise<DeliveryResult> {
    const store = this.db.store(systemContext(`outbox-${row.id}`))
    if (row.kind !== ONWARD_REFERRAL_KIND) {
      const kind = deliveryKind(row.kind)
      return kind ? kind.attempt(asKindRow(row), store, this.options) : unknownKind(row.kind)
    }
    const read = async <T>(type: string, id: string | null | undefined): Promise<T | undefined> => {
      if (id && batch.has(`${type}/${id}`)) return batch.get(`${type}/${id}`) as T | undefined
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
    const auth = endpointHeaders(endpoint, this.options.secrets ?? {})
    if ('error' in auth) return { kind: 'dead', error: auth.error }
    return deliver(endpoint.address, bundle, { timeoutMs: this.options.timeoutMs, headers: auth.headers })
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
        await this.afterDelivered(tx, row, result)
      } else {
        const error = result.kind === 'retry' ? `gave up after ${row.attempts} attempts; last: ${result.error}` : result.error
        const { rowCount } = await sql.query(DEAD, [row.id, this.name, error])
        if (!rowCount) return
        const outcome: OperationOutcome = (result.kind === 'dead' && result.outcome) || {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'transient', diagnostics: error }],
        }
        if (row.task_id && track) await track(tx, row.task_id, { status: 'failed', reason: outcomeText(outcome) ?? error, outcome })
        await deliveryKind(row.kind)?.dead?.(tx, asKindRow(row), error, result.kind === 'dead' ? result.outcome : undefined, this.options.baseUrl)
      }
    })
    if (result.kind === 'delivered') this.log('info', fields, 'outbox delivery done')
    else this.log('warn', { ...fields, error: result.error }, 'outbox delivery dead-lettered')
  }
}

type Delivered = Extract<DeliveryResult, { kind: 'delivered' }>
/** A delivery made, waiting to be recorded with its batch. */
interface Done {
  row: OutboxRow
  result: Delivered
  fields: Record<string, unknown>
}

/** Where the receiver put its Task (the last entry of the transaction response). */
function receiverLocation(response: { entry?: { response?: { location?: string } }[] } | undefined): string | undefined {
  const entries = response?.entry ?? []
  return entries[entries.length - 1]?.response?.location
}
