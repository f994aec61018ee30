// _filter (search_filter.html) → the store's conditions. Each comparison becomes the condition the
// same parameter gets in a normal search (search.html), so values mean the same: strings folded
// for case and accents, token [system]|code, date and number ranges with their prefixes, local
// and absolute references, pr as :missing. and / or / not(…) become and / or / not conditions.
import { FhirError } from '../../errors.js'
import type { Condition, RangeValue } from '../../store/search-types.js'
import { dateRange } from './date-range.js'
import { filterError, parseFilter, type FilterNode } from './filter-parse.js'
import { missingCondition } from './missing.js'
import { foldText } from './normalize.js'
import { searchParam, type SearchParam } from './parameters.js'
import { dateValue, numberValue, quantityValue, referenceValue, tokenValue } from './values.js'

type Comparison = Extract<FilterNode, { kind: 'compare' }>

/** The condition a _filter expression sets on resources of `type`; a 400 naming _filter when it cannot. */
export function filterCondition(type: string, expression: string, baseUrl: string): Condition {
  return toCondition(type, parseFilter(expression), baseUrl)
}

function toCondition(type: string, node: FilterNode, baseUrl: string): Condition {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, conditions: node.nodes.map((n) => toCondition(type, n, baseUrl)) }
    case 'not':
      return { kind: 'not', condition: toCondition(type, node.node, baseUrl) }
    case 'compare':
      return comparison(type, node, 0, baseUrl)
  }
}

/** path[step] on `type`; a path with more names is a chain through reference parameters (search.html#chaining). */
function comparison(type: string, c: Comparison, step: number, baseUrl: string): Condition {
  const part = c.path[step]
  const param = searchParam(type, part.name)
  if (!param) throw filterError(`${type} has no search parameter ${JSON.stringify(part.name)}`, part.at)
  if (step === c.path.length - 1) return valueCondition(param, c, baseUrl)
  if (param.type !== 'reference') throw filterError(`cannot chain through ${part.name}: it is not a reference parameter`, part.at)
  const next = c.path[step + 1]
  const targets = param.targets.filter((t) => searchParam(t, next.name))
  if (targets.length === 0) {
    throw filterError(`none of the types ${part.name} refers to has a search parameter ${JSON.stringify(next.name)}`, next.at)
  }
  return { kind: 'chain', param: part.name, targets: targets.map((t) => ({ type: t, condition: comparison(t, c, step + 1, baseUrl) })) }
}

/** The operators that are search prefixes (search.html#prefix) on dates, numbers and quantities. */
const PREFIXES = new Set(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'])
const DATE_OPS = new Set([...PREFIXES, 'po'])

/** Supported operators by parameter type (search_filter.html, the table of interpretations by type). */
const OPERATORS: Record<string, string[]> = {
  string: ['eq', 'ne', 'co', 'sw', 'ew', 'pr'],
  token: ['eq', 'ne', 'in', 'ni', 'ss', 'sb', 'pr'],
  date: [...DATE_OPS, 'pr'],
  number: [...PREFIXES, 'pr'],
  quantity: [...PREFIXES, 'pr'],
  reference: ['re', 'eq', 'ne', 'pr'],
  uri: ['eq', 'ne', 'sw', 'pr'],
  _id: ['eq', 'ne'],
  _lastUpdated: [...DATE_OPS],
}

function valueCondition(param: SearchParam, c: Comparison, baseUrl: string): Condition {
  const { code } = param
  const kind = code === '_id' || code === '_lastUpdated' ? code : param.type
  if (!OPERATORS[kind]?.includes(c.op)) throw unsupported(kind, code, c)
  const not = (condition: Condition): Condition => (c.op === 'ne' ? { kind: 'not', condition } : condition)
  if (c.op === 'pr') {
    if (c.value !== 'true' && c.value !== 'false') throw filterError(`pr takes true or false, not ${JSON.stringify(c.value)}`, c.valueAt)
    return missingCondition(param, c.value === 'false')!
  }
  switch (kind) {
    case '_id':
      return not({ kind: 'id', ids: [c.value] })
    case '_lastUpdated':
      return { kind: 'lastUpdated', values: [dateFor(c, code)] }
    case 'string': {
      // folded for case and accents as in the normal string search; eq is the whole value, ew its end
      const mode = ({ eq: 'equal', ne: 'equal', co: 'contains', sw: 'start', ew: 'end' } as const)[c.op as 'eq']
      return not({ kind: 'string', param: code, mode, values: [foldText(c.value)] })
    }
    case 'token': {
      // in / ni: the codes of a ValueSet (as :in / :not-in); ss / sb: the resource's code subsumes
      // / is subsumed by the given one (as :above / :below), from the code systems held here
      if (c.op === 'in' || c.op === 'ni') return { kind: 'tokenIn', param: code, valueSets: [c.value], not: c.op === 'ni', origin: '_filter' }
      if (c.op === 'ss' || c.op === 'sb') {
        const [system, concept, ...rest] = withSystemAlias(c.value, 0).split('|')
        if (!system || !concept || rest.length) throw filterError(`${c.op} needs system|code, got ${JSON.stringify(c.value)}`, c.valueAt)
        return { kind: 'tokenIn', param: code, valueSets: [], not: false, hierarchy: { direction: c.op === 'ss' ? 'above' : 'below', codes: [{ system, code: concept }] }, origin: '_filter' }
      }
      // ne is the :not modifier: resources without the code, those with no value included
      const value = parsed(c, 'token ([system]|code)', () => tokenValue(withSystemAlias(c.value, 0), code))
      return { kind: 'token', param: code, values: [value], not: c.op === 'ne' }
    }
    case 'date':
      return { kind: 'date', param: code, values: [dateFor(c, code)] }
    case 'number':
      return { kind: 'number', param: code, values: [parsed(c, 'number', () => numberValue(c.op + c.value, code))] }
    case 'quantity': {
      const value = parsed(c, 'quantity (number[|system|code])', () => quantityValue(c.op + withSystemAlias(c.value, 1), code))
      return { kind: 'quantity', param: code, values: [value] }
    }
    case 'reference': {
      const value = parsed(c, 'reference (Type/id, id or URL)', () => referenceValue(c.value, baseUrl, undefined, code))
      return not({ kind: 'reference', param: code, values: [value] })
    }
    case 'uri':
      // sw is :below, a prefix match on the URI as written
      return not({ kind: 'uri', param: code, mode: c.op === 'sw' ? 'below' : 'eq', values: [c.value] })
  }
  throw unsupported(kind, code, c)
}

/** Date operators are the search prefixes, plus po: the value's period overlaps the target's. */
function dateFor(c: Comparison, code: string): RangeValue {
  const range = dateRange(c.value)
  if (!range) throw filterError(`${JSON.stringify(c.value)} is not a date (YYYY[-MM[-DD[Thh:mm[:ss][zone]]]])`, c.valueAt)
  if (c.op !== 'po') return dateValue(c.op + c.value, code)
  // the store's ap is exactly an overlap test of the (already widened) range; po widens nothing
  return { prefix: 'ap', ...range }
}

/** search_filter.html: "the codes loinc, snomed, rxnorm and ucum … can be used in place of their associated full namespace". */
const SYSTEM_ALIASES: Record<string, string> = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  ucum: 'http://unitsofmeasure.org',
}

/** Replaces an alias in the system part: part 0 of system|code, part 1 of number|system|code. */
function withSystemAlias(value: string, part: 0 | 1): string {
  const parts = value.split('|')
  if (parts.length <= part + 1 || !Object.hasOwn(SYSTEM_ALIASES, parts[part])) return value
  parts[part] = SYSTEM_ALIASES[parts[part]]
  return parts.join('|')
}

/** A value read by the normal search's parser; its 400 is restated as the value's, at its position. */
function parsed<T>(c: Comparison, what: string, parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    if (err instanceof FhirError && err.status === 400) throw filterError(`${JSON.stringify(c.value)} is not a valid ${what}`, c.valueAt)
    throw err
  }
}

function unsupported(kind: string, code: string, c: Comparison): Error {
  const supported = OPERATORS[kind]
  const what = kind === code ? code : `${kind} parameter ${JSON.stringify(code)}`
  if (!supported) return filterError(`${what} cannot be used in _filter`, c.path[c.path.length - 1].at)
  return filterError(`operator ${c.op} is not supported for ${what} (supported: ${supported.join(', ')})`, c.opAt)
}
