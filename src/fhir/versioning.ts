// ETag / Last-Modified / meta handling shared by the interactions (http.html#versioning).
import type { StoredVersion } from '../store/types.js'
import { badRequest, preconditionFailed } from '../errors.js'
import type { FhirResponse } from './types.js'

export const etagOf = (versionId: string | number) => `W/"${versionId}"`

/** Accepts W/"3", "3" and 3 (clients differ); anything else is a 400. */
export function parseEtag(value: string, header = 'If-Match'): string {
  const m = /^\s*(?:W\/)?"?([1-9][0-9]{0,17})"?\s*$/.exec(value)
  if (!m) throw badRequest(`${header} must be a version ETag such as W/"3", got ${JSON.stringify(value)}`)
  return m[1]
}

/** If-Match: the update applies only to the version the client last saw (412 otherwise). */
export function checkIfMatch(ifMatch: string | undefined, current: StoredVersion | undefined) {
  if (ifMatch === undefined) return
  const wanted = parseEtag(ifMatch)
  if (!current || current.deleted) {
    throw preconditionFailed(`If-Match ${etagOf(wanted)} given, but the resource does not exist or is deleted`)
  }
  if (current.versionId !== wanted) {
    throw preconditionFailed(
      `Version conflict: If-Match ${etagOf(wanted)} but the current version is ${etagOf(current.versionId)}`,
    )
  }
}

export const httpDate = (iso: string) => new Date(iso).toUTCString()

/**
 * Stamps the server-owned id and meta onto an incoming resource (client meta.versionId/lastUpdated
 * ignored). resourceType, id and meta come first, as FHIR JSON is conventionally written: the
 * store keeps and serves this text as it is.
 */
export function stamp<T extends { meta?: object }>(
  resource: T,
  id: string,
  versionId: number,
  lastUpdated: string,
): T & { id: string } {
  const { resourceType, id: _given, meta, ...rest } = resource as T & { resourceType?: string; meta?: Record<string, unknown>; id?: string }
  return {
    resourceType,
    id,
    meta: { ...(meta ?? {}), versionId: String(versionId), lastUpdated },
    ...rest,
  } as unknown as T & { id: string }
}

export function versionResponse(
  status: number,
  v: { resourceType: string; id: string; versionId: string; lastUpdated: string },
  baseUrl: string,
  body?: string | object,
  withLocation = false,
): FhirResponse {
  return {
    status,
    body,
    etag: etagOf(v.versionId),
    lastModified: httpDate(v.lastUpdated),
    location: withLocation ? `${baseUrl}/${v.resourceType}/${v.id}/_history/${v.versionId}` : undefined,
  }
}

/** The server's clock for meta.lastUpdated (ties in history are ordered by versionId). */
export const now = (): string => new Date().toISOString()
