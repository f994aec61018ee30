// Presence of a parameter's values: the :missing modifier (search.html#modifiers) and the _filter
// operator pr (search_filter.html#ops) ask the same question of the index tables.
import type { Condition, IndexTable } from '../../store/search-types.js'
import type { SearchParam } from './parameters.js'

/** The index table each parameter type's rows are in. */
export const TABLE_OF: Partial<Record<SearchParam['type'], IndexTable>> = {
  string: 'string', token: 'token', date: 'date', number: 'number', quantity: 'quantity', reference: 'reference', uri: 'uri',
}

/** Resources with no value (missing) or some value (not missing) for the parameter; undefined for types without index rows. */
export function missingCondition(param: SearchParam, missing: boolean): Condition | undefined {
  const table = TABLE_OF[param.type]
  if (!table) return undefined
  const rows: Condition = { kind: 'missing', table, param: param.code, missing }
  if (param.type !== 'reference') return rows
  // A reference holding only an identifier is indexed as a token (for :identifier); it is a value too.
  const identifier: Condition = { kind: 'missing', table: 'token', param: `${param.code}:identifier`, missing }
  return { kind: missing ? 'and' : 'or', conditions: [rows, identifier] }
}
