// The few parts of ELM JSON (elm.xsd, CQL spec Appendix) that CaseHub reads.
export interface ElmIdentifier {
  id: string
  system?: string
  version?: string
}

export interface ElmLibrary {
  library: {
    identifier: ElmIdentifier
    annotation?: unknown[]
    includes?: { def?: { localIdentifier: string; path: string; version?: string }[] }
    valueSets?: { def?: { name: string; id: string; version?: string }[] }
    parameters?: { def?: { name: string }[] }
    statements?: { def?: { name: string; context?: string; type?: string }[] }
    [key: string]: unknown
  }
}

/** Libraries this one includes, as name and version. */
export function includesOf(elm: ElmLibrary): { name: string; version?: string }[] {
  return (elm.library.includes?.def ?? []).map((d) => ({ name: d.path, version: d.version }))
}

/** Canonical URLs of the value sets the library declares. */
export function valueSetsOf(elm: ElmLibrary): string[] {
  return (elm.library.valueSets?.def ?? []).map((d) => d.id)
}

/**
 * Resource types the library retrieves (Retrieve.dataType '{http://hl7.org/fhir}Condition'): its
 * data requirements, so callers fetch only these for a patient.
 */
export function retrievedTypes(elm: ElmLibrary): Set<string> {
  const out = new Set<string>()
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) for (const n of node) walk(n)
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>
      if (o.type === 'Retrieve' && typeof o.dataType === 'string') out.add(o.dataType.replace(/^\{[^}]*\}/, ''))
      for (const v of Object.values(o)) walk(v)
    }
  }
  walk(elm.library.statements)
  return out
}

/**
 * Names of the elements the library reads (the first step of every Property path, and the
 * code path of code-filtered retrieves), with `id` and `resourceType`: a superset of what its
 * retrieves need from a resource, so a caller may send the rules only these elements.
 */
export function elementsRead(elms: ElmLibrary[]): Set<string> {
  const out = new Set<string>(['resourceType', 'id'])
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) for (const n of node) walk(n)
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>
      if (o.type === 'Property' && typeof o.path === 'string') out.add(o.path.split('.')[0])
      if (o.type === 'Retrieve' && typeof o.codeProperty === 'string') out.add(o.codeProperty.split('.')[0])
      for (const v of Object.values(o)) walk(v)
    }
  }
  for (const elm of elms) walk(elm.library.statements)
  return out
}
