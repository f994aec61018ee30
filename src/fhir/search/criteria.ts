// Query strings as parameter maps, and a canonical key for conditional-write criteria.

/** Query-string text → parameter map ('identifier=a|b&_id=1'). */
export function parseQueryString(qs: string): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [k, v] of new URLSearchParams(qs)) (out[k] ??= []).push(v)
  return out
}

/** A stable key for the same criteria written in any order. */
export function criteriaKey(query: Record<string, string[]>): string {
  return Object.entries(query)
    .flatMap(([k, vs]) => vs.map((v) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .sort()
    .join('&')
}
