// Reference values as the index and searches compare them (search.html#reference): local
// references by type and id (relative, or absolute on our own base URL, version stripped),
// anything else by URL.
const LOCAL = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/

export interface ReferenceKey {
  type: string | null
  id: string | null
  url: string | null
  /** canonical references: the |version, if any (url is then without it) */
  version?: string
}

export function referenceKey(reference: string, baseUrl: string): ReferenceKey | undefined {
  if (reference.startsWith('#') || reference === '') return undefined
  let local = reference
  if (reference.startsWith(baseUrl + '/')) local = reference.slice(baseUrl.length + 1)
  const m = LOCAL.exec(local)
  if (m) return { type: m[1], id: m[2], url: null }
  // canonical references may carry |version (search.html#versions)
  const bar = reference.lastIndexOf('|')
  if (bar < 0) return { type: null, id: null, url: reference }
  return { type: null, id: null, url: reference.slice(0, bar), version: reference.slice(bar + 1) }
}
