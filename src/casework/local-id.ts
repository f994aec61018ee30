// The id in a literal reference to a resource of `type` on this server (`Type/id`, or a URL
// ending in it); undefined for anything else (references.html#literal).
const cache = new Map<string, RegExp>()

export function localId(type: string, reference: string | undefined): string | undefined {
  let pattern = cache.get(type)
  if (!pattern) cache.set(type, (pattern = new RegExp(`^(?:.*/)?${type}/([A-Za-z0-9\\-.]{1,64})$`)))
  return pattern.exec(reference ?? '')?.[1]
}
