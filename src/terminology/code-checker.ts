// Membership tests for required bindings (profile validation): is system|code in the value set?
// Answers from the memoised value set content (a Map keyed by system|code), so each check is a
// hash lookup; the cache follows the index's generation, so API writes are seen.
import type { TerminologyIndex } from './terminology-index.js'
import type { ConceptSet } from './concept-set.js'

/** true / false, or undefined when the value set is not known locally (or cannot be evaluated). */
export type CodeChecker = (valueSetUrl: string, system: string | undefined, code: string) => boolean | undefined

interface Compiled {
  set: ConceptSet
  /** codes alone, for code-typed elements bound without a system */
  codes?: Set<string>
}

export function codeCheckerFor(index: TerminologyIndex): CodeChecker {
  let generation = -1
  const cache = new Map<string, Compiled | null>()
  const compiled = (url: string): Compiled | null => {
    if (generation !== index.generation) {
      cache.clear()
      generation = index.generation
    }
    let c = cache.get(url)
    if (c !== undefined) return c
    const vs = index.valueSet(url)
    try {
      c = vs ? { set: index.conceptSet(vs) } : null
    } catch {
      c = null // content this server cannot evaluate: say "don't know" rather than fail the resource
    }
    cache.set(url, c)
    return c
  }
  return (valueSetUrl, system, code) => {
    const c = compiled(valueSetUrl)
    if (!c) return undefined
    if (system !== undefined) return c.set.has(system, code)
    c.codes ??= new Set([...c.set.entries.values()].map((e) => e.code))
    if (c.codes.has(code)) return true
    return c.set.open.size ? undefined : false
  }
}
