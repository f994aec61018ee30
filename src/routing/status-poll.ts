// Polls the receiver's copy of an onward referral's Task (issue 6 "Status back … CaseHub can also
// poll the receiver's copy") for receivers that do not update CaseHub's Task themselves. Rows of
// delivered referrals carry the location the receiver answered with (migration 0005); a poller
// claims due ones with FOR UPDATE SKIP LOCKED, reads the copy with fhir-kit-client (with the
// Endpoint's auth headers; https://hl7.org/fhir/R4/http.html#read) and hands it to `mirror`
// (casework's), which updates the tracking Task and says whether polling can stop.
import type { Endpoint, Task } from '@medplum/fhirtypes'
import { Client } from 'fhir-kit-client'
import { randomUUID } from 'node:crypto'
import { systemContext } from '../store/context.js'
import type { ResourceStore } from '../store/types.js'
import { endpointHeaders } from './endpoint-auth.js'
import { sqlOf, type Queryable } from './sql.js'
import type { OutboxDatabase, OutboxLog } from './worker.js'

/** Updates the tracking Task from the receiver's copy; true when it is final (stop polling). */
export type StatusMirror = (tx: ResourceStore, taskId: string, remote: Task) => Promise<boolean>

/** In the transaction that records a delivery: poll the receiver's Task at `location` from now on. */
export async function schedulePoll(sql: Queryable, taskId: string, location: string, everyMs: number): Promise<void> {
  await sql.query(
    `UPDATE outbox SET receiver_task = $2, poll_at = now() + make_interval(secs => $3::double precision / 1000)
     WHERE task_id = $1 AND kind = 'onward-referral'`,
    [taskId, location, everyMs],
  )
}

const CLAIM_POLLS = `UPDATE outbox SET poll_at = now() + make_interval(secs => $2::double precision / 1000)
  WHERE id IN (SELECT id FROM outbox WHERE poll_at <= now() ORDER BY poll_at LIMIT $1 FOR UPDATE SKIP LOCKED)
  RETURNING id, endpoint_id, task_id, receiver_task`

/** `Task/{id}` (optionally with `/_history/{v}`, relative or absolute) → the base URL and id to read. */
export function receiverTaskUrl(location: string, endpointAddress: string): { base: string; id: string } | undefined {
  const m = /^(?:(https?:\/\/.+?)\/)?Task\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(location)
  if (!m) return undefined
  return { base: (m[1] ?? endpointAddress).replace(/\/+$/, ''), id: m[2] }
}

export interface StatusPollerOptions {
  everyMs: number
  mirror: StatusMirror
  secrets?: Readonly<Record<string, string>>
  timeoutMs: number
  log?: OutboxLog
  /** rows polled per round (default 50) */
  batchSize?: number
}

export class StatusPoller {
  private timer?: NodeJS.Timeout
  private round?: Promise<void>
  private running = false
  private readonly name = `poller-${randomUUID().slice(0, 8)}`

  constructor(private readonly db: OutboxDatabase, private readonly o: StatusPollerOptions) {}

  start(): void {
    this.running = true
    const tick = () => {
      this.round = this.pollOnce()
        .catch((err) => this.o.log?.('warn', { poller: this.name, err: (err as Error).message }, 'receiver status poll failed'))
        .then(() => {
          if (this.running) this.timer = setTimeout(tick, Math.min(this.o.everyMs, 1000))
        })
    }
    this.timer = setTimeout(tick, Math.min(this.o.everyMs, 1000))
  }

  async stop(): Promise<void> {
    this.running = false
    clearTimeout(this.timer)
    await this.round
  }

  /** Polls the due rows once; returns how many were polled. */
  async pollOnce(): Promise<number> {
    const { rows } = await this.db.pool.query(CLAIM_POLLS, [this.o.batchSize ?? 50, this.o.everyMs])
    await Promise.all(rows.map((row) => this.poll(row)))
    return rows.length
  }

  private async poll(row: { id: string; endpoint_id: string; task_id: string; receiver_task: string }) {
    const store = this.db.store(systemContext(`status-poll-${row.id}`))
    const fields = { poller: this.name, outbox: row.id, endpoint: row.endpoint_id }
    try {
      const stored = await store.read('Endpoint', row.endpoint_id)
      const endpoint = stored?.json && !stored.deleted ? (JSON.parse(stored.json) as Endpoint) : undefined
      const target = endpoint?.address ? receiverTaskUrl(row.receiver_task, endpoint.address) : undefined
      const auth = endpoint ? endpointHeaders(endpoint, this.o.secrets ?? {}) : undefined
      if (!target || !auth || 'error' in auth) {
        await this.db.pool.query('UPDATE outbox SET poll_at = NULL WHERE id = $1', [row.id])
        this.o.log?.('warn', { ...fields, error: auth && 'error' in auth ? auth.error : 'no Endpoint address or Task location' }, 'receiver status polling stopped')
        return
      }
      const remote = (await new Client({ baseUrl: target.base }).read({
        resourceType: 'Task',
        id: target.id,
        options: { headers: auth.headers, signal: AbortSignal.timeout(this.o.timeoutMs) },
      } as never)) as unknown as Task
      const final = await store.transaction(async (tx) => {
        const done = await this.o.mirror(tx, row.task_id, remote)
        if (done) await sqlOf(tx).query('UPDATE outbox SET poll_at = NULL WHERE id = $1', [row.id])
        return done
      })
      this.o.log?.('info', { ...fields, status: remote.status, final }, 'receiver status polled')
    } catch (err) {
      const e = err as Error & { response?: { status: number } }
      this.o.log?.('warn', { ...fields, status: e.response?.status, error: e.response ? `HTTP ${e.response.status}` : e.message }, 'receiver status poll failed; will try again')
    }
  }
}
