// Stratification cycles (seed 003: "Risk Stratification is undertaken every 3 months"; "Below
// Threshold people re-considered every 3 months"). Cycles are whole calendar months counted from
// January 2000, so with 3 months they are the quarters starting 1 January, April, July and
// October. A cycle is named by its first day; one RiskAssessment per patient per cycle.
export function cycleOf(at: Date, months: number): string {
  const index = (at.getUTCFullYear() - 2000) * 12 + at.getUTCMonth()
  const first = index - (((index % months) + months) % months)
  const year = 2000 + Math.floor(first / 12)
  const month = (first % 12) + 1
  return `${year}-${String(month).padStart(2, '0')}-01`
}

/** The first day of the cycle after `cycle`: when below-threshold patients are reconsidered. */
export function nextCycle(cycle: string, months: number): string {
  const [y, m] = cycle.split('-').map(Number)
  return cycleOf(new Date(Date.UTC(y, m - 1 + months, 1)), months)
}
