// Starting and answering stratification runs, for the $stratify operation and `casehub
// stratify`: the run's request from the configuration and the caller's inputs, the run's
// summary as Parameters, and the practices stratified by default (the list of the service's
// practices in the eligibility library version that referral intake uses, so the two never
// disagree).
import type { Parameters } from '@medplum/fhirtypes'
import type { Config } from '../../config.js'
import {
  casehubLibraryCache, defaultThresholds, ELIGIBILITY_LIBRARY, INTAKE_PLAN_DEFINITION, RISK_LIBRARY, RISK_TIERS, splitCanonical,
  THRESHOLD_TIERS, thresholdOutOfOrder, type RiskThresholds, type ThresholdTier,
} from '../../rules/index.js'
import type { ResourceStore } from '../../store/types.js'
import { selectedLibrary } from '../library-upload.js'
import type { RunRow } from './sql.js'

export async function defaultPractices(store: ResourceStore): Promise<string[]> {
  const { url, version } = splitCanonical(await selectedLibrary(store, ELIGIBILITY_LIBRARY, INTAKE_PLAN_DEFINITION))
  const elm = casehubLibraryCache().elm(url, version)
  const def = (elm.library.parameters?.def ?? []).find((d) => d.name === 'Eligible Practice ODS Codes') as
    | { default?: { element?: { value?: string }[] } }
    | undefined
  return (def?.default?.element ?? []).map((e) => String(e.value))
}

export async function practicesFor(store: ResourceStore, config: Config['stratify'], given?: string[]): Promise<string[]> {
  return given?.length ? given : config.practices.length ? config.practices : await defaultPractices(store)
}

/**
 * The run's thresholds: those given over the defaults of the risk library version in use, all
 * three kept with the run so that a resumed run tiers alike; or the given tier whose threshold
 * breaks the ascending order.
 */
export async function thresholdsFor(store: ResourceStore, given: RiskThresholds): Promise<{ thresholds: RiskThresholds; outOfOrder?: ThresholdTier }> {
  const { url, version } = splitCanonical(await selectedLibrary(store, RISK_LIBRARY))
  const defaults = defaultThresholds(casehubLibraryCache().elm(url, version))
  const outOfOrder = thresholdOutOfOrder(given, defaults)
  return { thresholds: { ...defaults, ...given }, ...(outOfOrder ? { outOfOrder } : {}) }
}

/** The run as the operation's output: what a synchronous $stratify returns. */
export function runParameters(run: RunRow): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'cycle', valueDate: run.cycle },
      { name: 'status', valueCode: run.status },
      { name: 'assessedAt', valueDateTime: run.assessed_at.toISOString() },
      ...(run.total === null ? [] : [{ name: 'registered', valueInteger: run.total }]),
      { name: 'processed', valueInteger: run.processed },
      { name: 'assessed', valueInteger: run.assessed },
      { name: 'alreadyAssessed', valueInteger: run.already },
      ...RISK_TIERS.map((tier) => ({ name: 'tier', part: [{ name: 'code', valueCode: tier }, { name: 'count', valueInteger: run.tiers[tier] ?? 0 }] })),
      ...THRESHOLD_TIERS.filter((tier) => run.request.thresholds?.[tier] !== undefined)
        .map((tier) => ({ name: 'threshold', part: [{ name: 'code', valueCode: tier }, { name: 'value', valueInteger: run.request.thresholds[tier]! }] })),
      { name: 'proposalTier', valueCode: run.request.proposalTier },
      { name: 'proposals', valueInteger: run.proposals },
      { name: 'onCaseload', valueInteger: run.on_caseload },
    ],
  }
}

export function progressText(run: RunRow): string {
  const total = run.total ?? 0
  const pct = total ? Math.min(100, Math.floor((run.processed / total) * 100)) : 0
  return `${run.status}: ${run.processed} of ${run.total ?? '?'} patients (${pct}%), ${run.proposals} proposals`
}
