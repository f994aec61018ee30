// The codes a library's retrieves filter on (ELM Retrieve.codes: a value set, a concept or a code,
// CQL §"Retrieve"), per resource type: when every retrieve of a type filters on its `code`
// element, the rules never see a resource of that type without one of those codes, so a caller
// may fetch only those (library.html#data-requirements, DataRequirement.codeFilter). Most of a
// long record is Observations the eligibility rules never look at.
import type { CodeServiceJson } from './code-service.js'
import type { ElmLibrary } from './elm.js'

/** Resource types whose primary code path is `code`, the path of their `code` search parameter. */
const CODE_SEARCHABLE = new Set(['Observation', 'Procedure', 'Condition'])

interface Named {
  name: string
  libraryName?: string
}
type Def = { name: string; id?: string; codeSystem?: Named; code?: Named[] }

/** `system|code` tokens per resource type; a type absent from the map is needed whole. */
export type CodeRequirements = Map<string, Set<string>>

export function codeRequirements(elms: ElmLibrary[], valueSets: CodeServiceJson): CodeRequirements {
  const byName = new Map(elms.map((e) => [e.library.identifier.id, e]))
  const defs = (elm: ElmLibrary, kind: string): Def[] => ((elm.library[kind] as { def?: Def[] } | undefined)?.def ?? [])
  /** The library an alias names from `elm` (includes), or `elm` itself. */
  const target = (elm: ElmLibrary, alias?: string) => {
    if (!alias) return elm
    const inc = (elm.library.includes?.def ?? []).find((d) => d.localIdentifier === alias)
    return inc ? byName.get(inc.path) : undefined
  }
  const code = (elm: ElmLibrary, ref: Named): string | undefined => {
    const lib = target(elm, ref.libraryName)
    const def = lib && defs(lib, 'codes').find((d) => d.name === ref.name)
    const system = def?.codeSystem && lib && defs(lib, 'codeSystems').find((d) => d.name === def.codeSystem!.name)?.id
    return def?.id && system ? `${system}|${def.id}` : undefined
  }
  /** Tokens of a Retrieve's codes, or undefined when they are not a plain value set, concept or code. */
  const tokens = (elm: ElmLibrary, codes: Record<string, unknown>): string[] | undefined => {
    let node = codes
    if (node.type === 'Property' && node.path === 'codes') node = node.source as Record<string, unknown>
    if (node.type === 'ToList') node = node.operand as Record<string, unknown>
    const ref = node as unknown as Named
    if (node.type === 'ValueSetRef') {
      const lib = target(elm, ref.libraryName)
      const url = lib && defs(lib, 'valueSets').find((d) => d.name === ref.name)?.id
      const versions = url ? valueSets[url] : undefined
      return versions ? Object.values(versions).flat().map((c) => `${c.system}|${c.code}`) : undefined
    }
    if (node.type === 'CodeRef') return [code(elm, ref)].filter((t): t is string => t !== undefined)
    if (node.type === 'ConceptRef') {
      const lib = target(elm, ref.libraryName)
      const concept = lib && defs(lib, 'concepts').find((d) => d.name === ref.name)
      const all = concept?.code?.map((c) => code(lib!, c))
      return all && all.every((t) => t !== undefined) ? (all as string[]) : undefined
    }
    return undefined
  }
  const out: CodeRequirements = new Map()
  const whole = new Set<string>()
  const walk = (elm: ElmLibrary, node: unknown): void => {
    if (Array.isArray(node)) for (const n of node) walk(elm, n)
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>
      if (o.type === 'Retrieve' && typeof o.dataType === 'string') {
        const type = o.dataType.replace(/^\{[^}]*\}/, '')
        const found = CODE_SEARCHABLE.has(type) && o.codeProperty === 'code' && o.codes ? tokens(elm, o.codes as Record<string, unknown>) : undefined
        if (!found) whole.add(type)
        else for (const t of found) out.set(type, (out.get(type) ?? new Set()).add(t))
      }
      for (const v of Object.values(o)) walk(elm, v)
    }
  }
  for (const elm of elms) walk(elm, elm.library.statements)
  for (const type of whole) out.delete(type)
  return out
}
