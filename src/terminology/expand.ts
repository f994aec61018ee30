// ValueSet expansion (valueset-operation-expand.html, R4): the value set's content, optionally
// without inactive codes, narrowed by a text filter and paged with offset/count. expansion.total
// counts the filtered concepts before paging, so clients can page through them.
import type { ValueSet, ValueSetExpansionContains, ValueSetExpansionParameter } from '@medplum/fhirtypes'
import { randomUUID } from 'node:crypto'
import { notSupported } from '../errors.js'
import type { Entry } from './concept-set.js'
import type { TerminologyIndex } from './terminology-index.js'

export interface ExpandOptions {
  /** text filter: every word must start a word of the display (or the code must start with it) */
  filter?: string
  offset?: number
  count?: number
  /** $expand activeOnly: leave inactive concepts out */
  activeOnly?: boolean
  includeDesignations?: boolean
  /** expansion.parameter: the request parameters that shaped this expansion */
  echo?: ValueSetExpansionParameter[]
  now?: Date
}

/** The value set's concepts in expansion order; throws when one of its systems cannot be enumerated. */
export function expansionEntries(index: TerminologyIndex, vs: ValueSet): Entry[] {
  const set = index.conceptSet(vs)
  if (set.open.size) {
    const systems = [...set.open].join(', ')
    throw notSupported(`ValueSet ${vs.url ?? vs.id} includes all of ${systems}, which this server cannot enumerate (not a CodeSystem held here); list the concepts in compose.include.concept`)
  }
  return [...set.entries.values()]
}

export function expandValueSet(index: TerminologyIndex, vs: ValueSet, opts: ExpandOptions = {}): ValueSet {
  let entries = expansionEntries(index, vs)
  if (opts.activeOnly) entries = entries.filter((e) => !e.inactive)
  if (opts.filter?.trim()) entries = entries.filter((e) => matchesText(opts.filter!, e))
  const offset = opts.offset ?? 0
  const page = opts.count === undefined ? entries.slice(offset) : entries.slice(offset, offset + opts.count)

  const used = new Map<string, string>()
  for (const e of entries) used.set(e.system, e.version ? `${e.system}|${e.version}` : e.system)
  const parameter: ValueSetExpansionParameter[] = [
    ...(opts.echo ?? []),
    ...[...used.values()].map((v) => ({ name: 'used-codesystem', valueUri: v })),
  ]
  const { compose: _c, expansion: _e, text: _t, meta: _m, ...rest } = vs
  const expansion: ValueSet['expansion'] = {
    identifier: `urn:uuid:${randomUUID()}`,
    timestamp: (opts.now ?? new Date()).toISOString(),
    total: entries.length,
  }
  if (opts.offset !== undefined) expansion.offset = offset
  if (parameter.length) expansion.parameter = parameter
  // count = 0 asks only for the size of the expansion (R4 $expand `count`)
  if (page.length) expansion.contains = page.map((e) => contains(e, opts.includeDesignations))
  return { ...rest, resourceType: 'ValueSet', status: vs.status ?? 'active', expansion }
}

function contains(e: Entry, designations = false): ValueSetExpansionContains {
  const out: ValueSetExpansionContains = { system: e.system }
  if (e.abstract) out.abstract = true
  if (e.inactive) out.inactive = true
  if (e.version) out.version = e.version
  out.code = e.code
  if (e.display !== undefined) out.display = e.display
  if (designations && e.designation?.length) out.designation = e.designation
  return out
}

const words = (s: string) => s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean)

/** Case-insensitive word starts over the display and designations, or a prefix of the code. */
export function matchesText(filter: string, e: Pick<Entry, 'code' | 'display' | 'designation'>): boolean {
  const wanted = words(filter)
  if (!wanted.length) return true
  if (e.code.toLowerCase().startsWith(filter.trim().toLowerCase())) return true
  const texts = [e.display ?? '', ...(e.designation ?? []).map((d) => d.value ?? '')]
  return texts.some((t) => {
    const have = words(t)
    return wanted.every((w) => have.some((h) => h.startsWith(w)))
  })
}
