// Works a stratification run (issue 5; seed 003): walks the patients registered with the run's
// practices in id order, a batch at a time. Per batch: the patients already assessed in the
// cycle are skipped; the others' records are read in bulk (batch-records.ts), evaluated by the
// RiskStratification CQL library on worker threads, and their RiskAssessments, any proposal
// Tasks and the run's cursor and counts are written in ONE transaction, while the next batch is
// read and evaluated. A crash loses at most the two batches in flight (nothing of them is
// written), and the run resumes after the last committed one; a cancelled run stops at its next
// commit (the progress update finds no running row and the batch rolls back). A run whose
// `signal` aborts (the server is closing) stops after the batch being written and is released,
// so any node resumes it at once.
import { randomUUID } from 'node:crypto'
import type { Patient } from '@medplum/fhirtypes'
import { terminologyIndex } from '../../fhir/conformance/terminology.js'
import { createPrepared, prepareCreate } from '../../fhir/write.js'
import type { InteractionContext } from '../../fhir/types.js'
import { EvaluationPool, isRiskTier, RISK_DEFINES, RISK_LIBRARY, riskResult, thresholdParameters, tierRank, type RiskResult, type RiskTier } from '../../rules/index.js'
import type { ResourceStore } from '../../store/types.js'
import { selectedLibrary } from '../library-upload.js'
import { batchBundles } from './batch-records.js'
import { cycleOf, nextCycle } from './cycle.js'
import { countRegistered, nextPatients, onCaseload, practices as findPractices } from './population.js'
import { assessmentId, CASE_MANAGEMENT_TEAM, practiceOf, PROPOSAL_SYSTEM, proposalTask, riskAssessment } from './resources.js'
import { type Queryable, ABANDONED_RUNS, ACTIVE_RUN, ADVANCE, CANCEL, CLAIM_RUN, FINISH, INSERT_RUN, READ_RUN, RELEASE, SET_TOTAL, sqlOf, type RunRequest, type RunRow } from './sql.js'

/** Where runs live: a store (not inside a transaction) and its SQL client, the pool. */
export interface RunStore {
  store: ResourceStore
  sql: Queryable
}

export interface RunnerOptions extends RunStore {
  baseUrl: string
  /** this process's name in locked_by */
  node: string
  cycleMonths: number
  /** patients per transaction */
  batchSize?: number
  /** patients per worker message */
  chunkSize?: number
  /** worker threads (default: one per core) */
  workers?: number
  /** a run whose heartbeat is older than this is abandoned and may be taken over */
  takeoverMs?: number
  /** as soon as the run is claimed by this call */
  onClaim?(run: RunRow): void
  /** once the run is claimed and its population counted, before the first batch */
  onStart?(run: RunRow): void
  /** after each committed batch */
  onBatch?(run: RunRow): void
  /** aborted: stop after the batch being written and release the run (its heartbeat cleared) */
  signal?: AbortSignal
}

export const DEFAULT_TAKEOVER_MS = 60_000

// The CQL engine (cql-execution, cql-exec-fhir: about half a second) loads with the first run, not
// with the server, which loads this file at start for $stratify and the resumer.
let engine: Promise<typeof import('../../rules/evaluator.js')> | undefined

/** Starts a run for the cycle of `at`, or answers the cycle's unfinished run. */
export async function startRun(db: RunStore, at: Date, cycleMonths: number, request: RunRequest): Promise<{ run: RunRow; created: boolean }> {
  const cycle = cycleOf(at, cycleMonths)
  for (;;) {
    const inserted = await db.sql.query<RunRow>(INSERT_RUN, [randomUUID(), cycle, at, request])
    if (inserted.rows[0]) return { run: inserted.rows[0], created: true }
    const active = await db.sql.query<RunRow>(ACTIVE_RUN, [cycle])
    if (active.rows[0]) return { run: active.rows[0], created: false }
    // it finished between the two statements: try again
  }
}

export async function readRun(db: RunStore, id: string): Promise<RunRow | undefined> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return undefined
  return (await db.sql.query<RunRow>(READ_RUN, [id])).rows[0]
}

export async function cancelRun(db: RunStore, id: string): Promise<RunRow | undefined> {
  return (await db.sql.query<RunRow>(CANCEL, [id])).rows[0]
}

/** Runs that no node is working on (left queued, released, or abandoned by a node that stopped), oldest first. */
export async function abandonedRuns(db: RunStore, takeoverMs = DEFAULT_TAKEOVER_MS): Promise<string[]> {
  return (await db.sql.query<{ id: string }>(ABANDONED_RUNS, [takeoverMs])).rows.map((r) => r.id)
}

/** Works the run to its end (or until it is cancelled or taken over); answers its last state. */
export async function workRun(id: string, opts: RunnerOptions): Promise<RunRow | undefined> {
  const db = opts
  const claimed = (await db.sql.query<RunRow>(CLAIM_RUN, [id, opts.node, opts.takeoverMs ?? DEFAULT_TAKEOVER_MS])).rows[0]
  if (!claimed) return await readRun(db, id)
  opts.onClaim?.(claimed)
  if (opts.signal?.aborted) return await release(db, id, opts.node)
  let pool: EvaluationPool | undefined
  try {
    // The newest active version when the run is claimed; a resumed run may get a newer one.
    const library = await selectedLibrary(db.store, RISK_LIBRARY)
    const { createEvaluator } = await (engine ??= import('../../rules/evaluator.js'))
    const evaluator = createEvaluator(terminologyIndex)
    const portable = evaluator.portable(library)
    pool = new EvaluationPool(portable, opts.workers)
    let run = claimed
    const practices = await findPractices(db.sql, run.request.practiceOdsCodes)
    if (run.total === null) {
      const total = await countRegistered(db.sql, practices)
      await db.sql.query(SET_TOTAL, [run.id, total, opts.node])
      run = { ...run, total }
    }
    const context = {
      pool, practices, run, opts,
      types: [...evaluator.dataRequirements(library)].filter((t) => t !== 'Patient'),
      library,
    }
    opts.onStart?.(run)
    if (opts.signal?.aborted) return await release(db, id, opts.node)
    const size = opts.batchSize ?? 500
    const first = await nextPatients(db.sql, practices, run.cursor, size)
    let pending = first.length ? assess(context, run, first) : undefined
    while (pending) {
      const assessed = await pending
      // The next batch is read and evaluated while this one is written, so PostgreSQL's reads
      // and the worker threads overlap the write transaction. Batches hold different patients,
      // so neither depends on what the other writes; a crash still loses only uncommitted work.
      // Stopping: no next batch is read; this one is still written (below), then the run released.
      const stopping = opts.signal?.aborted
      const following = stopping ? [] : await nextPatients(db.sql, practices, assessed.patients.at(-1)!.id, size)
      pending = following.length ? assess(context, run, following) : undefined
      pending?.catch(() => undefined) // awaited on the next turn, or abandoned with the run
      const next = await write(context, run, assessed)
      if (!next) return await readRun(db, id) // cancelled, or another node took it over
      run = next
      opts.onBatch?.(run)
      // (aborted after the last batch was read: there is no next one, and the run finishes)
      if (stopping || (opts.signal?.aborted && pending)) return await release(db, id, opts.node, pending)
    }
    return (await db.sql.query<RunRow>(FINISH, [id, opts.node, 'completed', null])).rows[0] ?? (await readRun(db, id))
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    const failed = (await db.sql.query<RunRow>(FINISH, [id, opts.node, 'failed', message]).catch(() => ({ rows: [] as RunRow[] }))).rows[0]
    if (!failed) await db.sql.query(RELEASE, [id, opts.node]).catch(() => undefined)
    // awaited here: a rejection must not wait unhandled while `finally` stops the worker threads
    return failed ?? (await readRun(db, id))
  } finally {
    await pool?.close()
  }
}

/**
 * Lets go of a run part-way (locked_by and heartbeat cleared, so it is not waited on for the
 * takeover timeout). A batch still being read is awaited first: its queries and threads must
 * not outlive the run, and it is dropped, to be read again by whoever resumes.
 */
async function release(db: RunStore, id: string, node: string, pending?: Promise<unknown>): Promise<RunRow | undefined> {
  await pending?.catch(() => undefined)
  await db.sql.query(RELEASE, [id, node])
  return await readRun(db, id)
}

interface BatchContext {
  pool: EvaluationPool
  practices: Awaited<ReturnType<typeof findPractices>>
  opts: RunnerOptions
  types: string[]
  library: string
}

/** A batch read and evaluated, not yet written. */
interface Assessed {
  patients: { id: string; json: string }[]
  /** those not yet assessed in the cycle */
  todo: { id: string; json: string }[]
  results: Map<string, RiskResult>
  /** adults at or above the proposal tier */
  candidates: string[]
  caseload: Set<string>
}

async function assess(c: BatchContext, run: RunRow, patients: { id: string; json: string }[]): Promise<Assessed> {
  const db = c.opts
  const done = await db.store.existing(patients.map((p) => `RiskAssessment/${assessmentId(run.cycle, p.id)}`))
  const todo = patients.filter((p) => !done.has(`RiskAssessment/${assessmentId(run.cycle, p.id)}`))
  const results = await evaluate(c, run, todo)
  const proposalTier = (isRiskTier(run.request.proposalTier) ? run.request.proposalTier : 'moderate') as RiskTier
  const candidates = todo.filter((p) => results.get(p.id)!.adult && tierRank(results.get(p.id)!.tier) >= tierRank(proposalTier)).map((p) => p.id)
  const caseload = candidates.length ? await onCaseload(db.sql, candidates, CASE_MANAGEMENT_TEAM, PROPOSAL_SYSTEM) : new Set<string>()
  return { patients, todo, results, candidates, caseload }
}

/** The batch's RiskAssessments, proposals and the run's progress, in one transaction. */
async function write(c: BatchContext, run: RunRow, { patients, todo, results, candidates, caseload }: Assessed): Promise<RunRow | undefined> {
  const cycle = run.cycle
  const assessedAt = run.assessed_at.toISOString()
  const store = c.opts.store
  const tiers: Record<string, number> = {}
  const following = nextCycle(cycle, c.opts.cycleMonths)
  return store.transaction(async (tx) => {
    const ctx: InteractionContext = { store: tx, baseUrl: c.opts.baseUrl, referencePolicy: 'lenient' }
    const prepared = []
    let proposals = 0
    for (const p of todo) {
      const result = results.get(p.id)!
      tiers[result.tier] = (tiers[result.tier] ?? 0) + 1
      prepared.push(await prepareCreate(ctx, tx, riskAssessment(p.id, cycle, following, assessedAt, result, c.library), { id: assessmentId(cycle, p.id), method: 'PUT' }))
      if (candidates.includes(p.id) && !caseload.has(p.id)) {
        const task = proposalTask(p.id, cycle, assessedAt, result, practiceOf(JSON.parse(p.json) as Patient, c.practices))
        prepared.push(await prepareCreate(ctx, tx, task, { id: task.id, method: 'PUT' }))
        proposals++
      }
    }
    if (prepared.length) await createPrepared(ctx, tx, prepared)
    const { rows } = await sqlOf(tx).query<RunRow>(ADVANCE, [
      run.id, c.opts.node, patients.at(-1)!.id, patients.length, todo.length, patients.length - todo.length,
      JSON.stringify(tiers), proposals, candidates.filter((id) => caseload.has(id)).length,
    ])
    if (!rows[0]) throw new Stop()
    return rows[0]
  }).catch((err) => {
    if (err instanceof Stop) return undefined
    throw err
  })
}

class Stop extends Error {}

/**
 * The assessment moment as the library's DateTime, to the second. Records carry times to the
 * second, and cql-execution answers null (uncertain) when it compares a time to the second with
 * one to the millisecond that agree on the second, although CQL 1.5 compares seconds and
 * milliseconds as one precision (cql.html "Comparison Operators"): an attendance exactly at the
 * start of the lookback, or at the assessment moment, would not count.
 */
export function cqlInstant(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, '+00:00')
}

/** The batch's results per patient: its bundles split into chunks across the worker threads. */
async function evaluate(c: BatchContext, run: RunRow, patients: { id: string; json: string }[]): Promise<Map<string, RiskResult>> {
  const out = new Map<string, RiskResult>()
  if (patients.length === 0) return out
  const bundles = await batchBundles(c.opts.sql, patients, c.types, run.assessed_at)
  const size = c.opts.chunkSize ?? Math.max(10, Math.ceil(bundles.length / (c.pool.size * 4)))
  const chunks: string[][] = []
  for (let i = 0; i < bundles.length; i += size) chunks.push(bundles.slice(i, i + size))
  const thresholds = thresholdParameters(run.request.thresholds ?? {})
  const at = cqlInstant(run.assessed_at)
  const answers = await Promise.all(chunks.map((chunk) => c.pool.evaluate({
    bundles: chunk,
    parameters: { dateTimes: { 'Assessment Date': at }, values: thresholds },
    defines: RISK_DEFINES,
    executionDateTime: at,
  })))
  for (const answer of answers) for (const [id, defines] of Object.entries(answer)) out.set(id, riskResult(defines))
  for (const p of patients) if (!out.has(p.id)) throw new Error(`The rules gave no result for Patient/${p.id}`)
  return out
}
