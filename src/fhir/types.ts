// The plain request/response shapes every interaction handler takes and returns. No Fastify
// types here, so handlers run the same from HTTP, from a Bundle entry and from `casehub load`.
import type { SearchResultCache } from './search/result-cache.js'
import type { ResourceStore } from '../store/types.js'
import type { ReferencePolicy } from '../config.js'

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface FhirRequest {
  method: Method
  /** Path below the FHIR base, no leading slash, no query: 'Patient/123/_history/2' */
  path: string
  query: Record<string, string[]>
  /** Parsed JSON body */
  body?: unknown
  /** Content-Type of the body, lower-cased, without parameters */
  contentType?: string
  headers: {
    ifMatch?: string
    ifNoneMatch?: string
    ifNoneExist?: string
    ifModifiedSince?: string
    prefer?: string
  }
}

export interface FhirResponse {
  status: number
  /** JSON text (straight from the store) or an object to serialise */
  body?: string | object
  location?: string
  etag?: string
  lastModified?: string
  /** meta.lastUpdated of the version answered, to the millisecond (Last-Modified has whole seconds) */
  lastUpdated?: string
  /** further response headers, e.g. Content-Location and X-Progress of an asynchronous request (async.html) */
  headers?: Record<string, string>
  /** warnings about an accepted write, returned with Prefer: return=OperationOutcome */
  issues?: import('@medplum/fhirtypes').OperationOutcomeIssue[]
}

export interface InteractionContext {
  store: ResourceStore
  baseUrl: string
  referencePolicy: ReferencePolicy
  /** the server's cache of repeated search results (search/result-cache.ts); none: every search runs */
  searchCache?: SearchResultCache
}

export type Handler = (req: FhirRequest, ctx: InteractionContext, params: RouteParams) => Promise<FhirResponse>

export interface RouteParams {
  type?: string
  id?: string
  versionId?: string
  /** the resource type searched for in a compartment search (Patient/1/Observation) */
  compartmentType?: string
  /** the operation's name without '$' (operations.html) */
  operation?: string
}
