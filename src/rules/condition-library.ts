// A CQL library that defines each of a PlanDefinition's text/cql condition expressions
// (plandefinition.html#12.18.3.3, "Applying a PlanDefinition"; cql.html#using-expressions), so
// the translator checks them and the engine evaluates them like any define.
//
// A condition such as `"Route" = 'case-management'` names the defines of the PlanDefinition's
// library without qualification, and CQL (§"Libraries") does not let a library reference the
// defines of a library it includes without its alias. So the wrapper is a copy of the main library
// under a new name, with one define per condition appended: unqualified names resolve, the
// library's parameters and includes stay as they are, and its results come with the conditions'.
import { createHash } from 'node:crypto'
import type { CqlIssue } from './compile-issues.js'
import { FHIR_HELPERS } from './fhir-helpers.js'
import type { LibrarySource } from './library-source.js'

export interface ConditionExpression {
  /** where the condition is, e.g. PlanDefinition.action[0].action[1].condition[0]: also its define's name */
  key: string
  cql: string
}

export interface ConditionLibrary {
  source: LibrarySource
  /** the key of the condition written at a line of `source.cql` (1-based), if any */
  keyAtLine(line: number): string | undefined
  /** the first line of a condition's expression, to report translator lines relative to it */
  firstLine(key: string): number
}

// `library Name version 'x'` after any comments, as libraryHeader reads it.
const HEADER = /^((?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*)library\s+(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_]*)\s+version\s+'[^']+'/

/**
 * The wrapper library over `main` (or over FHIR and FHIRHelpers alone when the PlanDefinition
 * names no library). Its name and url are derived from its text, so a changed condition or
 * library never reuses a compiled wrapper.
 */
export function conditionLibrary(main: LibrarySource | undefined, conditions: ConditionExpression[]): ConditionLibrary {
  const version = main?.version ?? '0.0.0'
  const body = main
    ? main.cql
    : `library Conditions version '${version}'\n\nusing FHIR version '4.0.1'\n\ninclude FHIRHelpers version '${FHIR_HELPERS.version}'\n`
  if (!HEADER.test(body)) throw new Error(`${main?.url ?? 'the library'} has no library declaration`)
  const hash = createHash('sha256').update(body).update(JSON.stringify(conditions)).digest('hex').slice(0, 16)
  const name = `${main?.name ?? 'Conditions'}_Apply_${hash}`
  const lines = body.replace(HEADER, (_all, lead: string) => `${lead}library ${name} version '${version}'`).split('\n')
  lines.push('', '// The PlanDefinition\'s conditions (PlanDefinition.action.condition)', 'context Patient')
  const spans: { key: string; from: number; to: number }[] = []
  for (const c of conditions) {
    // `as Boolean` makes a condition that is not a Boolean expression a compile error; the
    // parentheses on lines of their own keep the expression (and a trailing comment) whole.
    lines.push('', `define "${conditionDefine(c.key)}":`, '  (')
    const from = lines.length + 1
    lines.push(...c.cql.split('\n'))
    spans.push({ key: c.key, from, to: lines.length })
    lines.push('  ) as Boolean')
  }
  return {
    source: { url: `urn:casehub:plan-conditions:${hash}`, name, version, cql: lines.join('\n') + '\n' },
    keyAtLine: (line) => spans.find((s) => line >= s.from - 2 && line <= s.to + 1)?.key,
    firstLine: (key) => spans.find((s) => s.key === key)?.from ?? 1,
  }
}

/** A define's name in the wrapper for a condition key (its results are read by it). */
export function conditionDefine(key: string): string {
  return key.replace(/["\\]/g, '_')
}

/** Translator issues of the wrapper, grouped by the condition they are in (`undefined`: elsewhere). */
export function issuesByCondition(library: ConditionLibrary, issues: CqlIssue[]): Map<string | undefined, CqlIssue[]> {
  const out = new Map<string | undefined, CqlIssue[]>()
  for (const issue of issues) {
    const inWrapper = !issue.library || issue.library === library.source.name
    const key = inWrapper && issue.line !== undefined ? library.keyAtLine(issue.line) : undefined
    out.set(key, [...(out.get(key) ?? []), issue])
  }
  return out
}
