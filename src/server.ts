// Starts CaseHub: opens the database (embedded unless DATABASE_URL), builds the app, listens,
// and on SIGINT/SIGTERM drains requests and stops the embedded database.
import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.js'
import type { Config } from './config.js'
import { openDatabase, type Database } from './store/database.js'
import { reindex } from './cli/reindex.js'
import { loadStoredSearchParameters } from './fhir/search/custom-parameters.js'
import { systemContext } from './store/context.js'
import { installConformance, registerStoredCanonicals } from './fhir/conformance/install.js'
import type { IncomingMessage, Server as HttpServer } from 'node:http'
import type { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { OutboxWorker, WorkerOptions } from './routing/worker.js'
import { outboxWorkers, statusPoller } from './outbox-workers.js'
import { ConformanceFollower } from './fhir/conformance/follow-changes.js'

export interface RunningServer {
  app: FastifyInstance
  db: Database
  url: string
  /** the first in-process outbox worker (absent when started with `worker: false` or CASEHUB_WORKERS=0) */
  worker?: OutboxWorker
  /** every in-process outbox worker (CASEHUB_WORKERS of them) */
  workers: OutboxWorker[]
  close(): Promise<void>
}

export interface ServerOptions {
  /** in-process outbox worker settings; false runs none (e.g. when `casehub worker` runs apart) */
  worker?: Partial<WorkerOptions> | false
}

const SEARCH_INDEX_MIGRATION = '0002_search_index.sql'

/** CaseHub's own StructureDefinitions, SearchParameters, CodeSystems, ValueSets, Libraries and PlanDefinition. */
const CONFORMANCE_DIRS = ['../profiles/', '../terminology/', '../rules/'].map((d) => fileURLToPath(new URL(d, import.meta.url)))

/** Data written before the search index existed is indexed once, when the index arrives. */
async function indexExistingData(app: FastifyInstance, db: Database, config: Config) {
  const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM resource WHERE NOT deleted')
  if (rows[0].n === 0) return
  app.log.info({ resources: rows[0].n }, 'building the search index for existing resources')
  const baseUrl = config.baseUrl ?? `http://${config.host}:${config.port}/fhir`
  await reindex(db.store(systemContext('startup-reindex')), baseUrl, undefined, rows[0].n)
}

export async function startServer(config: Config, opts: ServerOptions = {}): Promise<RunningServer> {
  const db = await openDatabase(config)
  let app: FastifyInstance
  let follower: ConformanceFollower | undefined
  let closing: Promise<void> | undefined
  let unused = new Set<Socket>()
  try {
    app = await buildApp(config, db)
    unused = unusedSockets(app.server, () => closing !== undefined)
    const store = db.store(systemContext('startup'))
    const installed = await installConformance(
      { store, baseUrl: config.baseUrl ?? `http://${config.host}:${config.port}/fhir`, referencePolicy: 'lenient' },
      CONFORMANCE_DIRS,
    )
    app.log.info(installed, 'conformance resources installed from profiles/ and terminology/')
    const stored = await loadStoredSearchParameters(store)
    if (stored) app.log.info({ searchParameters: stored }, 'search parameters loaded from the database')
    await registerStoredCanonicals(store)
    // profiles, ValueSets, SearchParameters and Libraries that other processes write
    follower = new ConformanceFollower(db.pool, db.store(systemContext('conformance')), { log: (f, m) => app.log.info(f, m) })
    await follower.start()
    if (db.migrated.includes(SEARCH_INDEX_MIGRATION)) await indexExistingData(app, db, config)
    await app.listen({ port: config.port, host: config.host })
  } catch (err) {
    await follower?.stop()
    await db.close()
    throw err
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.port
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/fhir`
  app.log.info({ url, database: db.embedded ? 'embedded' : 'external' }, 'CaseHub listening')
  const baseUrl = config.baseUrl ?? url
  const routingLog = app.log.child({ module: 'routing' })
  const workers =
    opts.worker === false ? [] : outboxWorkers(db, config, { baseUrl, log: (level, fields, msg) => routingLog[level](fields, msg), options: opts.worker })
  for (const w of workers) await w.start()
  const worker = workers[0]
  // Receivers' copies of onward Tasks are polled where the deliveries run (CASEHUB_STATUS_POLL_MS).
  const poller = worker ? statusPoller(db, config, { baseUrl, log: worker.options.log ?? (() => undefined) }) : undefined
  poller?.start()
  const close = () =>
    (closing ??= (async () => {
      for (const socket of unused) socket.destroy()
      await Promise.all([...workers.map((w) => w.stop()), poller?.stop()])
      await follower?.stop()
      await app.close()
      await db.close()
    })())
  return { app, db, url, worker, workers, close }
}

/**
 * The server's sockets that have not carried a request yet. Closing ends idle keep-alive
 * connections, but Node counts a connection that has sent nothing as one whose headers are on
 * the way: a client that opened sockets ahead of need (Node's own fetch does) would hold the
 * close until the headers timeout (60 s). These are ended when closing starts, and connections
 * arriving while closing, on arrival.
 */
function unusedSockets(server: HttpServer, closing: () => boolean): Set<Socket> {
  const unused = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    if (closing()) return socket.destroy()
    unused.add(socket)
    socket.once('close', () => unused.delete(socket))
  })
  server.on('request', (req: IncomingMessage) => unused.delete(req.socket))
  return unused
}

/** Graceful stop on the first signal; a second one forces exit. */
export function closeOnSignals(server: RunningServer) {
  let signalled = false
  const onSignal = (signal: string) => {
    if (signalled) process.exit(1)
    signalled = true
    server.app.log.info({ signal }, 'shutting down')
    server.close().then(
      () => process.exit(0),
      (err) => {
        server.app.log.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}
