// The RiskStratification library's contract: its url, its parameters, and how its results read
// as a tier with its explanation (the score and each component's count and points). Its
// parameters with the assessment date as the engine takes it are in parameters.ts.
import { CASEHUB_LIBRARY_BASE } from './library-source.js'
import type { CqlResults } from './evaluator.js'
import type { ElmLibrary } from './elm.js'

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

export const THRESHOLD_TIERS = ['mild', 'moderate', 'severe'] as const
export type ThresholdTier = (typeof THRESHOLD_TIERS)[number]
const THRESHOLD_PARAMETER: Record<ThresholdTier, string> = { mild: 'Mild Threshold', moderate: 'Moderate Threshold', severe: 'Severe Threshold' }

/** The thresholds the library declares as its parameters' defaults (ELM Literals). */
export function defaultThresholds(elm: ElmLibrary): RiskThresholds {
  const defs = (elm.library.parameters?.def ?? []) as { name: string; default?: { type?: string; value?: string } }[]
  const out: RiskThresholds = {}
  for (const tier of THRESHOLD_TIERS) {
    const d = defs.find((p) => p.name === THRESHOLD_PARAMETER[tier])?.default
    if (d?.type === 'Literal' && d.value !== undefined && Number.isInteger(Number(d.value))) out[tier] = Number(d.value)
  }
  return out
}

/**
 * The first given threshold that breaks the order mild < moderate < severe, the library's
 * defaults standing in for those not given (a tier is "the highest threshold reached", so
 * equal or descending thresholds would leave a tier empty); undefined when they ascend.
 */
export function thresholdOutOfOrder(given: RiskThresholds, defaults: RiskThresholds): ThresholdTier | undefined {
  const value = (tier: ThresholdTier) => given[tier] ?? defaults[tier]
  for (let i = 1; i < THRESHOLD_TIERS.length; i++) {
    const lower = THRESHOLD_TIERS[i - 1]
    const upper = THRESHOLD_TIERS[i]
    const [a, b] = [value(lower), value(upper)]
    if (a !== undefined && b !== undefined && a >= b) return given[upper] !== undefined ? upper : lower
  }
  return undefined
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
  /** what the score counted, as `Type/id`: unplanned care, then conditions, then GP contacts */
  basis: string[]
}

/** The defines a stratification reads (riskResult's input). */
export const RISK_DEFINES = ['Risk Tier', 'Risk Score', 'Adult', 'Score Components', 'Unplanned Care Encounter Ids', 'Long Term Condition Ids', 'GP Contact Encounter Ids']

/** The thresholds given as the library's parameters (CQL names, plain numbers). */
export function thresholdParameters(thresholds: RiskThresholds): Record<string, number> {
  const out: Record<string, number> = {}
  for (const tier of THRESHOLD_TIERS) if (thresholds[tier] !== undefined) out[THRESHOLD_PARAMETER[tier]] = thresholds[tier]!
  return out
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
  const ids = (define: string, type: string) => {
    const list = results[define]
    return Array.isArray(list) ? list.filter((id): id is string => typeof id === 'string').map((id) => `${type}/${id}`) : []
  }
  const basis = [...ids('Unplanned Care Encounter Ids', 'Encounter'), ...ids('Long Term Condition Ids', 'Condition'), ...ids('GP Contact Encounter Ids', 'Encounter')]
  return { tier, score, adult: results['Adult'] === true, components, basis }
}
