// Outbox delivery workers, wired from configuration: in the server process (CASEHUB_WORKERS of
// them, default 1) or alone in a `casehub worker` process with no HTTP (issue 6 "Delivery
// workers: in-process by default, `casehub worker` to run them as separate processes"). Several
// processes may run side by side: they share the queue through FOR UPDATE SKIP LOCKED.
import pino from 'pino'
import { onwardTracker } from './casework/onward.js'
import type { Config } from './config.js'
import { initSearchParameters } from './fhir/search/parameters.js'
import { initValidation } from './fhir/validation/index.js'
import { OutboxWorker, type OutboxLog, type WorkerOptions } from './routing/worker.js'
import { StatusPoller } from './routing/status-poll.js'
import { statusMirror } from './casework/status-mirror.js'
import { openDatabase, type Database } from './store/database.js'
import { registerDeliveryKind } from './routing/kinds.js'
import { DISCHARGE_KIND } from './casework/discharge.js'
import { dischargeDelivery } from './casework/discharge-delivery.js'
import { startSubscriptions } from './subscriptions/index.js'

export interface WorkerSettings {
  /** how many workers (default config.workers) */
  count?: number
  /** CaseHub's public FHIR base, for absolute references in what is delivered */
  baseUrl: string
  log: OutboxLog
  /** overrides of the configured worker options (tests use faster retries) */
  options?: Partial<WorkerOptions>
}

export function outboxWorkers(db: Database, config: Config, s: WorkerSettings): OutboxWorker[] {
  const count = s.count ?? config.workers
  const prefix = `${process.pid}`
  return Array.from(
    { length: count },
    (_, i) =>
      new OutboxWorker(db, {
        baseUrl: s.baseUrl,
        track: onwardTracker(s.baseUrl, { statusPollMs: config.outbox.statusPollMs }),
        log: s.log,
        pollMs: config.outbox.pollMs,
        timeoutMs: config.outbox.deliveryTimeoutMs,
        lockTimeoutMs: config.outbox.lockTimeoutMs,
        secrets: config.endpointSecrets,
        name: `${prefix}-${i + 1}`,
        ...s.options,
        ...(s.options?.name ? { name: `${s.options.name}-${i + 1}` } : {}),
      }),
  )
}

/** Polls receivers' copies of onward Tasks when CASEHUB_STATUS_POLL_MS is set; runs where the workers run. */
export function statusPoller(db: Database, config: Config, s: Pick<WorkerSettings, 'baseUrl' | 'log'>): StatusPoller | undefined {
  if (!config.outbox.statusPollMs) return undefined
  return new StatusPoller(db, {
    everyMs: config.outbox.statusPollMs,
    mirror: statusMirror(s.baseUrl),
    secrets: config.endpointSecrets,
    timeoutMs: config.outbox.deliveryTimeoutMs,
    log: s.log,
  })
}

export interface WorkerProcess {
  workers: OutboxWorker[]
  /** stops claiming, lets deliveries in flight finish and be recorded, releases claims, closes the pool */
  close(): Promise<void>
}

/** `casehub worker`: the workers alone, over DATABASE_URL (an embedded cluster serves one process). */
export async function runWorkerProcess(config: Config, opts: { count: number; pollMs?: number }): Promise<WorkerProcess> {
  const logger = pino({ level: config.logLevel, base: { pid: process.pid, module: 'routing' } })
  const log: OutboxLog = (level, fields, msg) => logger[level](fields, msg)
  // The tracking Task's next version is indexed for search like any write.
  initValidation()
  initSearchParameters()
  const db = await openDatabase(config, { log: (line) => logger.warn(line) })
  // Every outbox kind the server sends is sent here too (app.ts registers the same), and the
  // tracking Tasks this process writes raise Subscription notifications as the server's writes do.
  registerDeliveryKind(DISCHARGE_KIND, dischargeDelivery)
  const subscriptions = await startSubscriptions(db, (level, fields, msg) => logger[level]({ module: 'subscriptions', ...fields }, msg)).catch(async (err) => {
    await db.close()
    throw err
  })
  const baseUrl = config.baseUrl ?? `http://${config.host}:${config.port}/fhir`
  const workers = outboxWorkers(db, config, { count: opts.count, baseUrl, log, options: opts.pollMs ? { pollMs: opts.pollMs } : {} })
  const poller = statusPoller(db, config, { baseUrl, log })
  try {
    for (const w of workers) await w.start()
    poller?.start()
  } catch (err) {
    await Promise.all(workers.map((w) => w.stop()))
    await subscriptions.stop()
    await db.close()
    throw err
  }
  logger.info({ workers: workers.length, pollMs: workers[0]?.options.pollMs }, 'outbox workers started')
  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      await Promise.all([...workers.map((w) => w.stop()), poller?.stop()])
      await subscriptions.stop()
      await db.close()
      logger.info('outbox workers stopped')
    })())
  return { workers, close }
}
