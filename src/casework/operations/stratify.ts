// [base]/$stratify (operations.html; https://hl7.org/fhir/R4/async.html): risk-stratify every
// patient registered with the service's practices (issue 5; seed 003). With
// `Prefer: respond-async` the run starts in the background and the answer is 202 Accepted with
// Content-Location = [base]/_async/{run}: GET there gives 202 + X-Progress while it runs, 200
// with a batch-response Bundle (the Parameters below in its entry) when it is done, an
// OperationOutcome when it failed; DELETE cancels it. Without the header, a population of at most
// CASEHUB_STRATIFY_SYNC_LIMIT patients is stratified synchronously (200 + Parameters); a larger
// one is refused with 400, since the request would outlive any HTTP timeout.
import type { OperationDefinition, Parameters, ParametersParameter } from '@medplum/fhirtypes'
import type { Config } from '../../config.js'
import { badRequest, issue, notFound, outcome } from '../../errors.js'
import { registerOperation, type OperationInput } from '../../fhir/operations/registry.js'
import { registerAsyncRequests, statusUrl } from '../../fhir/operations/async-requests.js'
import type { FhirResponse, InteractionContext } from '../../fhir/types.js'
import { cancelRun, readRun, startRun, workRun, type RunStore } from '../stratification/runner.js'
import { sqlOf, type RunRow } from '../stratification/sql.js'
import { practicesFor, progressText, runParameters, thresholdsFor } from '../stratification/service.js'
import { THRESHOLD_TIERS, type RiskThresholds, type ThresholdTier } from '../../rules/risk-stratification.js'
import { countRegistered, practices as findPractices } from '../stratification/population.js'

export const STRATIFY_OPERATION: OperationDefinition = {
  resourceType: 'OperationDefinition',
  id: 'stratify',
  url: 'https://casehub.org/fhir/OperationDefinition/stratify',
  version: '0.1.0',
  name: 'Stratify',
  title: 'Risk-stratify the registered population',
  status: 'active',
  kind: 'operation',
  description:
    'Evaluates the RiskStratification CQL library for every patient registered with the service\'s practices, writes one RiskAssessment ' +
    'per patient per cycle and a proposal Task (for the GP practice to sign off) for each adult at or above the proposal tier who is not ' +
    'already on the case management caseload. Asynchronous with Prefer: respond-async (async.html).',
  code: 'stratify',
  system: true,
  type: false,
  instance: false,
  affectsState: true,
  parameter: [
    { name: 'date', use: 'in', min: 0, max: '1', type: 'dateTime', documentation: 'The assessment moment (default now); it decides the cycle' },
    { name: 'practice', use: 'in', min: 0, max: '*', type: 'string', documentation: 'ODS codes of the practices to stratify (default: the configured ones)' },
    { name: 'proposalTier', use: 'in', min: 0, max: '1', type: 'code', documentation: 'mild | moderate | severe: the lowest tier proposed (default: configured, moderate)' },
    ...THRESHOLD_TIERS.map((tier) => ({
      name: `${tier}Threshold`, use: 'in' as const, min: 0, max: '1', type: 'integer',
      documentation: `The lowest score of the ${tier} tier (the RiskStratification library's "${tier[0].toUpperCase()}${tier.slice(1)} Threshold"; default: the library's). ` +
        'mild < moderate < severe, with the library\'s defaults for those not given',
    })),
    { name: 'cycle', use: 'out', min: 1, max: '1', type: 'date' },
    { name: 'status', use: 'out', min: 1, max: '1', type: 'code' },
    { name: 'assessed', use: 'out', min: 1, max: '1', type: 'integer' },
    { name: 'tier', use: 'out', min: 4, max: '4', part: [
      { name: 'code', use: 'out', min: 1, max: '1', type: 'code' }, { name: 'count', use: 'out', min: 1, max: '1', type: 'integer' }] },
    { name: 'proposals', use: 'out', min: 1, max: '1', type: 'integer' },
  ],
}

const RUN_PREFIX = 'stratify-'
let nodeName = `node-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
/** Runs this process is working, so a poll does not start a second worker on them. */
const working = new Map<string, Promise<unknown>>()

function runStore(ctx: InteractionContext): RunStore {
  return { store: ctx.store, sql: sqlOf(ctx.store) }
}

export function registerStratifyOperation(config: Config): void {
  const settings = config.stratify
  registerOperation({
    code: 'stratify',
    definition: STRATIFY_OPERATION.url!,
    resourceTypes: [],
    system: true,
    type: false,
    instance: false,
    affectsState: true,
    inputs: [
      { name: 'date', type: 'dateTime' }, { name: 'practice', type: 'string' }, { name: 'proposalTier', type: 'code' },
      ...THRESHOLD_TIERS.map((tier) => ({ name: `${tier}Threshold`, type: 'integer' as const })),
    ],
    run: (input, ctx) => stratify(input, ctx, settings),
  })
  registerAsyncRequests({
    async status(id, ctx) {
      if (!id.startsWith(RUN_PREFIX)) return undefined
      const run = await readRun(runStore(ctx), id.slice(RUN_PREFIX.length))
      return run ? statusResponse(run, ctx.baseUrl) : undefined
    },
    async cancel(id, ctx) {
      if (!id.startsWith(RUN_PREFIX)) return undefined
      const db = runStore(ctx)
      const run = await readRun(db, id.slice(RUN_PREFIX.length))
      if (!run) return undefined
      await cancelRun(db, run.id)
      return { status: 202, body: outcome([issue('informational', `Stratification run ${run.id} is cancelled`, undefined, 'information')]) }
    },
  })
}

function input(parameters: Parameters) {
  const all = parameters.parameter ?? []
  const one = (name: string) => {
    const found = all.filter((p) => p.name === name)
    if (found.length > 1) throw badRequest(`Give at most one ${name}`, name)
    return found[0]
  }
  const dateParam = one('date')
  const dateText = dateParam?.valueDateTime ?? dateParam?.valueString
  const date = dateText === undefined ? new Date() : new Date(dateText)
  if (dateParam && (dateText === undefined || Number.isNaN(date.getTime()))) throw badRequest('date must be a FHIR dateTime', 'date')
  const tierParam = one('proposalTier')
  const tier = tierParam?.valueCode ?? tierParam?.valueString
  if (tierParam && !['mild', 'moderate', 'severe'].includes(tier ?? '')) throw badRequest('proposalTier must be mild, moderate or severe', 'proposalTier')
  const practices = all.filter((p) => p.name === 'practice').map((p) => p.valueString ?? p.valueCode ?? '')
  practices.forEach((code, i) => {
    if (!/^[A-Z0-9]{3,10}$/.test(code)) throw badRequest('practice must be an ODS code, e.g. P91003', `practice[${i}]`)
  })
  return { date, tier, practices, ...thresholdInputs(all) }
}

/** The thresholds given, each a whole number ≥ 0, and where each was (for errors, as FHIRPath). */
function thresholdInputs(all: ParametersParameter[]): { thresholds: RiskThresholds; at: Partial<Record<ThresholdTier, string>> } {
  const thresholds: RiskThresholds = {}
  const at: Partial<Record<ThresholdTier, string>> = {}
  all.forEach((p, i) => {
    const tier = THRESHOLD_TIERS.find((t) => p.name === `${t}Threshold`)
    if (!tier) return
    const where = `Parameters.parameter[${i}].value`
    if (at[tier]) throw badRequest(`Give at most one ${p.name}`, where)
    const value = p.valueInteger ?? p.valueUnsignedInt ?? p.valuePositiveInt ?? p.valueDecimal
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw badRequest(`${p.name} must be a whole number of points, 0 or more (valueInteger)`, where)
    thresholds[tier] = value
    at[tier] = where
  })
  return { thresholds, at }
}

async function stratify({ parameters, request }: OperationInput, ctx: InteractionContext, settings: Config['stratify']): Promise<FhirResponse> {
  const given = input(parameters)
  const db = runStore(ctx)
  const { thresholds, outOfOrder } = await thresholdsFor(ctx.store, given.thresholds)
  if (outOfOrder) {
    throw badRequest(`The thresholds must ascend: mild < moderate < severe (given ${JSON.stringify(given.thresholds)}, with the library's defaults ` +
      `for the others: ${JSON.stringify(thresholds)}); ${outOfOrder}Threshold is out of order`, given.at[outOfOrder])
  }
  const practiceOdsCodes = await practicesFor(ctx.store, settings, given.practices)
  const respondAsync = /(^|[,;\s])respond-async(\s*($|[,;]))/.test(request.headers.prefer ?? '')
  if (!respondAsync) {
    const population = await countRegistered(db.sql, await findPractices(db.sql, practiceOdsCodes))
    if (population > settings.syncLimit) {
      throw badRequest(`${population} patients are too many to stratify in one request (at most ${settings.syncLimit}); send Prefer: respond-async`, 'Prefer')
    }
  }
  const { run } = await startRun(db, given.date, settings.cycleMonths, {
    practiceOdsCodes, proposalTier: given.tier ?? settings.proposalTier, thresholds,
  })
  const work = work_(run.id, ctx, settings)
  if (!respondAsync) {
    const done = (await work) ?? run
    return statusResponse(done, ctx.baseUrl, true)
  }
  return {
    status: 202,
    headers: { 'Content-Location': statusUrl(ctx.baseUrl, RUN_PREFIX + run.id) },
    body: outcome([issue('informational', `Stratification of the cycle from ${run.cycle} accepted; poll ${statusUrl(ctx.baseUrl, RUN_PREFIX + run.id)}`, undefined, 'information')]),
  }
}

/** Works the run in this process (once), in the background of the request that started it. */
function work_(id: string, ctx: InteractionContext, settings: Config['stratify']): Promise<RunRow | undefined> {
  const existing = working.get(id)
  if (existing) return existing as Promise<RunRow | undefined>
  const promise = workRun(id, { ...runStore(ctx), baseUrl: ctx.baseUrl, node: nodeName, cycleMonths: settings.cycleMonths, workers: settings.workers || undefined, batchSize: settings.batchSize })
    .finally(() => working.delete(id))
  working.set(id, promise)
  promise.catch(() => undefined)
  return promise
}

/** async.html "Status request": 202 + X-Progress while running; 200 + batch-response when done. */
function statusResponse(run: RunRow, baseUrl: string, synchronous = false): FhirResponse {
  if (run.status === 'queued' || run.status === 'running') {
    return { status: 202, headers: { 'X-Progress': progressText(run), 'Retry-After': '2' } }
  }
  // Bulk Data (which async.html defers to) answers 404 for a cancelled request
  if (run.status === 'cancelled') throw notFound(`Stratification run ${run.id} was cancelled`)
  if (run.status === 'failed') {
    return { status: 500, body: outcome([issue('exception', `Stratification run ${run.id} failed: ${run.error ?? 'unknown error'}`)]) }
  }
  const result = runParameters(run)
  if (synchronous) return { status: 200, body: result }
  return {
    status: 200,
    body: {
      resourceType: 'Bundle',
      type: 'batch-response',
      link: [{ relation: 'self', url: statusUrl(baseUrl, RUN_PREFIX + run.id) }],
      entry: [{ resource: result, response: { status: '200 OK' } }],
    },
  }
}

export function setStratifyNodeName(name: string) {
  nodeName = name
}
