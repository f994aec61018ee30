// The options of `casehub stratify`, checked before the database is opened or anything loaded:
// a bad option must exit at once and leave no run behind.
import { THRESHOLD_TIERS, type RiskThresholds } from '../rules/risk-stratification.js'

const TIERS = ['mild', 'moderate', 'severe']

export interface StratifyOptions {
  date?: string
  proposalTier?: string
  /** --mild-threshold, --moderate-threshold, --severe-threshold */
  mildThreshold?: string
  moderateThreshold?: string
  severeThreshold?: string
}

export interface StratifyRequest {
  at: Date
  proposalTier?: string
  /** the thresholds given; the library's defaults stand in for the others */
  given: RiskThresholds
}

/** The options as a request; throws an Error whose message names the option. */
export function stratifyRequest(opts: StratifyOptions): StratifyRequest {
  const at = opts.date ? new Date(opts.date) : new Date()
  if (Number.isNaN(at.getTime())) throw new Error('--date must be a date or dateTime, e.g. 2025-12-01 or 2025-12-01T09:00:00Z')
  if (opts.proposalTier !== undefined && !TIERS.includes(opts.proposalTier)) throw new Error('--proposal-tier must be mild, moderate or severe')
  const given: RiskThresholds = {}
  for (const tier of THRESHOLD_TIERS) {
    const text = opts[`${tier}Threshold`]
    if (text === undefined) continue
    if (!/^\d+$/.test(text)) throw new Error(`--${tier}-threshold must be a whole number of points, 0 or more`)
    given[tier] = Number(text)
  }
  return { at, proposalTier: opts.proposalTier, given }
}
