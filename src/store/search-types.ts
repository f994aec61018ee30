// The search the store runs: conditions over the index tables, already parsed and typed by the
// FHIR layer (which knows the search parameters); the store only knows how to write SQL for them.

export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap'

/** A date or number search value: its prefix and the range its precision implies [low, high). */
export interface RangeValue {
  prefix: Prefix
  low: string
  high: string
  /** numbers and quantities: the value as written (gt/lt/ge/le compare against it) */
  exact?: string
}

export interface TokenMatch {
  /** undefined: any system; null: no system ("|code") */
  system?: string | null
  code?: string
}

export interface ReferenceMatch {
  type?: string
  id?: string
  url?: string
}

export type IndexTable = 'string' | 'token' | 'date' | 'number' | 'quantity' | 'reference' | 'uri'

/** Each condition is an OR over its values; a search is the AND of its conditions. */
export type Condition =
  | { kind: 'id'; ids: string[] }
  /** the resource is of one of these types (a search over several types) */
  | { kind: 'type'; types: string[] }
  | { kind: 'lastUpdated'; values: RangeValue[] }
  /** start, contains, equal and end compare folded text (search.html#string); exact the text as written */
  | { kind: 'string'; param: string; mode: 'start' | 'exact' | 'contains' | 'equal' | 'end'; values: string[] }
  | { kind: 'token'; param: string; values: TokenMatch[]; not?: boolean }
  | { kind: 'tokenText'; param: string; values: string[] }
  | { kind: 'date'; param: string; values: RangeValue[] }
  | { kind: 'number'; param: string; values: RangeValue[] }
  | { kind: 'quantity'; param: string; values: (RangeValue & { system?: string; code?: string })[] }
  | { kind: 'reference'; param: string; values: ReferenceMatch[] }
  | { kind: 'uri'; param: string; mode: 'eq' | 'below' | 'above'; values: string[] }
  | { kind: 'missing'; table: IndexTable; param: string; missing: boolean }
  /** chained parameter: a reference whose target (one of several types) meets the condition */
  | { kind: 'chain'; param: string; targets: { type: string; condition: Condition }[] }
  /** reverse chain (_has): some resource of sourceType refers here by param and meets the condition */
  | { kind: 'has'; sourceType: string; param: string; condition: Condition }
  /** _text (the narrative) or _content (every string in the resource): a full-text query */
  | { kind: 'text'; scope: 'narrative' | 'content'; query: string }
  /** Location near: a position within km of one of the points */
  | { kind: 'near'; points: { latitude: number; longitude: number; km: number }[] }
  | { kind: 'or'; conditions: Condition[] }
  | { kind: 'and'; conditions: Condition[] }
  /** _filter not(…) (search_filter.html): the resources that do not meet the condition */
  | { kind: 'not'; condition: Condition }
  /** composite: OR over values, each an AND of component conditions met by one element */
  | { kind: 'composite'; values: Condition[][] }
  /** token :in / :not-in a ValueSet, or :below / :above a code (`hierarchy`); the FHIR layer
   *  expands it into a token condition */
  | {
      kind: 'tokenIn'
      param: string
      valueSets: string[]
      not: boolean
      hierarchy?: { direction: 'below' | 'above'; codes: { system: string; code: string }[] }
      /** the search parameter an error names, when not param:modifier (e.g. _filter) */
      origin?: string
    }

export interface SortKey {
  /** 'id', 'type' and 'lastUpdated' sort on the resource row; 'distance' on a Location's
   *  position (from the nearest of `points`); others on index rows of param */
  table: IndexTable | 'id' | 'type' | 'lastUpdated' | 'distance'
  param?: string
  descending: boolean
  points?: { latitude: number; longitude: number }[]
  /** at most one index row per resource (a single date element), so no lowest/highest to pick */
  single?: boolean
}

/** Position after (or before) a row in sort order: its sort key values, then its id. */
export interface Cursor {
  values: (string | null)[]
  backwards: boolean
}

export interface SearchQuery {
  types: string[]
  conditions: Condition[]
  sort: SortKey[]
  count: number
  cursor?: Cursor
}

export interface IncludeQuery {
  /** the resources whose references are followed (or, reversed, referred to) */
  from: { resourceType: string; id: string }[]
  sourceType?: string
  param?: string
  targetType?: string
}
