// GET [base]/metadata?mode=terminology (http.html#capabilities): a TerminologyCapabilities
// resource naming the code systems this server holds (those $lookup, $validate-code, $subsumes
// and $expand answer from) and what its $expand and $translate support (terminologycapabilities.html).
import type { TerminologyCapabilities } from '@medplum/fhirtypes'
import { terminologyIndex } from '../conformance/terminology.js'
import { instanceHeader } from './instance-header.js'

export function terminologyCapabilities(baseUrl: string, version: string): TerminologyCapabilities {
  const versions = new Map<string, Set<string>>()
  for (const cs of terminologyIndex().codeSystems()) {
    if (!cs.url) continue
    if (!versions.has(cs.url)) versions.set(cs.url, new Set())
    if (cs.version) versions.get(cs.url)!.add(cs.version)
  }
  return {
    resourceType: 'TerminologyCapabilities',
    ...instanceHeader(baseUrl, version),
    codeSystem: [...versions].sort(([a], [b]) => a.localeCompare(b)).map(([uri, vs]) => ({
      uri,
      ...(vs.size ? { version: [...vs].sort().map((code) => ({ code })) } : {}),
      subsumption: true,
    })),
    // $expand: flat expansions, paged by offset/count, filtered by text (README: "Not yet")
    expansion: {
      hierarchical: false,
      paging: true,
      incomplete: false,
      parameter: ['filter', 'offset', 'count', 'activeOnly', 'includeDesignations'].map((name) => ({ name })),
      textFilter: 'Case-insensitive: the filter starts the code, or each of its words starts a word of the display or of a designation.',
    },
    codeSearch: 'explicit',
    validateCode: { translations: false },
    // $translate finds the maps of the code's system when no url is given
    translation: { needsMap: false },
  }
}
