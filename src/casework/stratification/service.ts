// Starting and answering stratification runs, for the $stratify operation and `casehub
// stratify`: the run's request from the configuration and the caller's inputs, the run's
// summary as Parameters, and the practices stratified by default (the eligibility library's
// list of the service's practices, so the two never disagree).
import type { Parameters } from '@medplum/fhirtypes'
import type { Config } from '../../config.js'
import { casehubLibraryCache, ELIGIBILITY_LIBRARY, RISK_TIERS } from '../../rules/index.js'
import type { RunRow } from './sql.js'

export function defaultPractices(): string[] {
  const elm = casehubLibraryCache().elm(ELIGIBILITY_LIBRARY)
  const def = (elm.library.parameters?.def ?? []).find((d) => d.name === 'Eligible Practice ODS Codes') as
    | { default?: { element?: { value?: string }[] } }
    | undefined
  return (def?.default?.element ?? []).map((e) => String(e.value))
}

export function practicesFor(config: Config['stratify'], given?: string[]): string[] {
  return given?.length ? given : config.practices.length ? config.practices : defaultPractices()
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
