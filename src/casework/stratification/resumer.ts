// Resumes abandoned stratification runs in the background of a server (issue "Interrupted runs
// resume"). Every CASEHUB_STRATIFY_RESUME_INTERVAL seconds it lists the runs no node is working
// on (heartbeat older than the takeover timeout, e.g. a killed process's, or released) and works
// them one after the other with the runner, whose claim is a single UPDATE guarded by the
// heartbeat: of several servers polling one database, one gets the run, the others skip it.
// Closing stops the timer and lets the batch being written commit; the run is then released, so
// the next process resumes it without waiting out the timeout.
import { randomUUID } from 'node:crypto'
import type { Config } from '../../config.js'
import { systemContext } from '../../store/context.js'
import type { Database } from '../../store/database.js'
import { abandonedRuns, DEFAULT_TAKEOVER_MS, workRun, type RunStore } from './runner.js'
import { sqlOf, type RunRow } from './sql.js'

/** Log lines carry run ids, cycles and counts: never patients (not even a run's error text). */
export type ResumerLog = (level: 'debug' | 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string) => void

export interface ResumerOptions {
  /** pause between the end of one check and the next, ms */
  everyMs: number
  settings: Config['stratify']
  log: ResumerLog
  /** this process's name in locked_by (default resumer-{pid}-{random}) */
  node?: string
  takeoverMs?: number
}

/** The server's resumer, or none when CASEHUB_STRATIFY_RESUME_INTERVAL is 0. */
export function stratificationResumer(db: Database, settings: Config['stratify'], log: ResumerLog): StratificationResumer | undefined {
  if (!settings.resumeIntervalMs) return undefined
  const store = db.store(systemContext('stratify-resumer'))
  return new StratificationResumer({ store, sql: sqlOf(store) }, { everyMs: settings.resumeIntervalMs, settings, log })
}

export class StratificationResumer {
  readonly node: string
  private timer: NodeJS.Timeout | undefined
  private checking: Promise<void> | undefined
  private readonly stopping = new AbortController()
  private baseUrl = ''

  constructor(private readonly db: RunStore, private readonly opts: ResumerOptions) {
    this.node = opts.node ?? `resumer-${process.pid}-${randomUUID().slice(0, 8)}`
  }

  /** First check one interval from now: a run is only abandoned after a minute's silence anyway. */
  start(baseUrl: string): void {
    this.baseUrl = baseUrl
    this.schedule()
  }

  /** Stops looking; a run being worked stops after its current batch and is released. */
  async stop(): Promise<void> {
    this.stopping.abort()
    clearTimeout(this.timer)
    await this.checking
  }

  private schedule() {
    if (this.stopping.signal.aborted) return
    // Timed from the end of the previous check, so checks never overlap: one run at a time here.
    this.timer = setTimeout(() => {
      this.checking = this.check().finally(() => {
        this.checking = undefined
        this.schedule()
      })
    }, this.opts.everyMs)
    this.timer.unref() // the timer alone never keeps the process alive
  }

  private async check(): Promise<void> {
    try {
      for (const id of await abandonedRuns(this.db, this.opts.takeoverMs ?? DEFAULT_TAKEOVER_MS)) {
        if (this.stopping.signal.aborted) return
        await this.resume(id)
      }
    } catch (err) {
      this.opts.log('error', { err }, 'looking for abandoned stratification runs failed')
    }
  }

  private async resume(id: string): Promise<void> {
    const { log, settings } = this.opts
    const fields = (run: RunRow) => ({ run: run.id, cycle: run.cycle, status: run.status, processed: run.processed, total: run.total })
    let claimed = false
    let tenths = 0
    const done = await workRun(id, {
      ...this.db,
      baseUrl: this.baseUrl,
      node: this.node,
      cycleMonths: settings.cycleMonths,
      workers: settings.workers || undefined,
      batchSize: settings.batchSize,
      takeoverMs: this.opts.takeoverMs,
      signal: this.stopping.signal,
      onClaim: () => (claimed = true),
      onStart: (run) => log('info', { ...fields(run), node: this.node }, 'resuming an abandoned stratification run'),
      onBatch: (run) => {
        // a line per tenth of the population, not per batch
        const now = run.total ? Math.floor((run.processed * 10) / run.total) : 0
        if (now > tenths) log('info', fields(run), 'stratification run progress')
        tenths = Math.max(tenths, now)
      },
    })
    if (!done) return
    if (!claimed) log('debug', { run: id, lockedBy: done.locked_by }, 'another node claimed the stratification run first')
    else if (done.status === 'completed') log('info', fields(done), 'abandoned stratification run completed')
    else if (done.status === 'failed') log('error', fields(done), 'resumed stratification run failed; its status URL gives the error')
    else if (done.status === 'running' && done.locked_by === null) log('info', fields(done), 'stratification run released part-way on close; the next process resumes it')
    else log('info', { ...fields(done), lockedBy: done.locked_by }, 'stratification run cancelled or taken over by another node')
  }
}
