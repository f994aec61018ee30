// String matching rules (search.html#string): case- and accent-insensitive, so the index and the
// search value are folded the same way.
export function foldText(value: string): string {
  return value.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()
}

/**
 * A PostgreSQL btree entry holds at most ~2.7 kB, so the string index keeps the first 512
 * characters of the folded text (at most 2 kB in UTF-8). Starts-with and equality on longer
 * text compare those first 512 characters; :exact compares the whole text.
 */
export const STRING_KEY_CHARS = 512

/** Folded text as the string index keeps it. */
export function stringKey(value: string): string {
  const folded = foldText(value)
  return folded.length <= STRING_KEY_CHARS ? folded : [...folded].slice(0, STRING_KEY_CHARS).join('')
}
