// The RiskStratification library's contract: its url, its parameters, and how its results read
// as a tier with its explanation (the score and each component's count and points).
import { CASEHUB_LIBRARY_BASE } from './library-source.js'
import { cqlDateTime } from './eligibility.js'
import type { CqlResults } from './evaluator.js'

export const RISK_LIBRARY = `${CASEHUB_LIBRARY_BASE}RiskStratification`

/** Lowest first: a tier is "at or above" another by this order. */
export const RISK_TIERS = ['below-threshold', 'mild', 'moderate', 'severe'] as const
export type RiskTier = (typeof RISK_TIERS)[number]

export const isRiskTier = (v: unknown): v is RiskTier => RISK_TIERS.includes(v as RiskTier)
export const tierRank = (tier: RiskTier) => RISK_TIERS.indexOf(tier)

export interface RiskThresholds {
  mild?: number
  moderate?: number
  severe?: number
}

export interface ScoreComponent {
  name: string
  count: number | null
  points: number
}

export interface RiskResult {
  tier: RiskTier
  score: number
  adult: boolean
  components: ScoreComponent[]
}

/** The library's parameters (CQL names); thresholds left out keep the library's defaults. */
export function riskParameters(assessmentDate: string | Date, thresholds: RiskThresholds = {}): Record<string, unknown> {
  const params: Record<string, unknown> = { 'Assessment Date': cqlDateTime(assessmentDate) }
  if (thresholds.mild !== undefined) params['Mild Threshold'] = thresholds.mild
  if (thresholds.moderate !== undefined) params['Moderate Threshold'] = thresholds.moderate
  if (thresholds.severe !== undefined) params['Severe Threshold'] = thresholds.severe
  return params
}

/** Reads the library's results; throws if they break the contract (a wrong Library version). */
export function riskResult(results: CqlResults): RiskResult {
  const tier = results['Risk Tier']
  if (!isRiskTier(tier)) throw new Error(`The risk stratification library gave no valid Risk Tier (${String(tier)})`)
  const score = results['Risk Score']
  if (typeof score !== 'number') throw new Error('The risk stratification library gave no Risk Score')
  const list = results['Score Components']
  const components = Array.isArray(list)
    ? list.map((c: { name?: unknown; count?: unknown; points?: unknown }) => ({
        name: String(c?.name),
        count: typeof c?.count === 'number' ? c.count : null,
        points: typeof c?.points === 'number' ? c.points : 0,
      }))
    : []
  return { tier, score, adult: results['Adult'] === true, components }
}
