// `casehub stratify`: risk-stratifies the registered population in this process (or resumes
// the cycle's unfinished run, e.g. one a stopped server or command left), with a progress line.
import { fileURLToPath } from 'node:url'
import type { Config } from '../config.js'
import { installConformance, registerStoredCanonicals } from '../fhir/conformance/install.js'
import { loadStoredSearchParameters } from '../fhir/search/custom-parameters.js'
import { DEFAULT_TAKEOVER_MS, startRun, workRun } from '../casework/stratification/runner.js'
import { practicesFor, runParameters, thresholdsFor } from '../casework/stratification/service.js'
import { sqlOf } from '../casework/stratification/sql.js'
import { systemContext } from '../store/context.js'
import type { Database } from '../store/database.js'
import { Progress } from './progress.js'
import type { StratifyRequest } from './stratify-options.js'

/** CaseHub's own profiles, terminology and Libraries, as `casehub start` installs them. */
const CONFORMANCE_DIRS = ['../../profiles/', '../../terminology/', '../../rules/'].map((d) => fileURLToPath(new URL(d, import.meta.url)))

export async function stratify(db: Database, cfg: Config, request: StratifyRequest): Promise<string> {
  const { at, given } = request
  const store = db.store(systemContext(`stratify-${Date.now()}`))
  const baseUrl = cfg.baseUrl ?? `http://${cfg.host}:${cfg.port}/fhir`
  // A database that was only migrated and loaded (`casehub load`) lacks the ValueSets and the
  // Library the rules use: install them as a starting server would (unchanged ones are skipped).
  await installConformance({ store, baseUrl, referencePolicy: 'lenient' }, CONFORMANCE_DIRS)
  await loadStoredSearchParameters(store)
  await registerStoredCanonicals(store)
  const { thresholds, outOfOrder } = await thresholdsFor(store, given)
  if (outOfOrder) throw new Error(`--${outOfOrder}-threshold is out of order: the thresholds must ascend, mild < moderate < severe (the library's defaults stand in for those not given: ${JSON.stringify(thresholds)})`)
  const runStore = { store, sql: sqlOf(store) }
  const { run, created } = await startRun(runStore, at, cfg.stratify.cycleMonths, {
    practiceOdsCodes: await practicesFor(store, cfg.stratify), proposalTier: request.proposalTier ?? cfg.stratify.proposalTier, thresholds,
  })
  process.stderr.write(`${created ? 'starting' : 'resuming'} the stratification of the cycle from ${run.cycle}\n`)
  let progress: Progress | undefined
  let last = run.processed
  const done = await workRun(run.id, {
    ...runStore, baseUrl, node: `cli-${process.pid}`,
    cycleMonths: cfg.stratify.cycleMonths, workers: cfg.stratify.workers || undefined, batchSize: cfg.stratify.batchSize,
    onStart(r) {
      // counts the patients this process walks (a resumed run's earlier batches are not in the rate)
      progress = new Progress((r.total ?? 0) - r.processed, 'patients')
      last = r.processed
    },
    onBatch(r) {
      progress?.tick(r.processed - last, r.processed - last)
      last = r.processed
    },
  })
  progress?.finish()
  if (done?.status === 'running' && done.locked_by !== `cli-${process.pid}`) {
    // Another process holds the run and has shown signs of life within the takeover timeout.
    throw new Error(`the cycle's run ${done.id} is being worked by ${done.locked_by ?? 'another process'}; ` +
      `it can be resumed here once that process has been silent for ${DEFAULT_TAKEOVER_MS / 1000} s`)
  }
  if (!done || done.status !== 'completed') throw new Error(`the run ended ${done?.status ?? 'unknown'}${done?.error ? `: ${done.error}` : ''}`)
  const out = runParameters(done).parameter!.map((p) => p.part
    ? `${p.part[0].valueCode}${p.name === 'threshold' ? ' threshold' : ''}: ${p.part[1].valueInteger}`
    : `${p.name}: ${p.valueInteger ?? p.valueCode ?? p.valueDate ?? p.valueDateTime}`)
  return out.join('\n') + '\n'
}
