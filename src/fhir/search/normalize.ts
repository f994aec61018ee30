// String matching rules (search.html#string): case- and accent-insensitive, so the index and the
// search value are folded the same way.
export function foldText(value: string): string {
  return value.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()
}
