// ETag / Last-Modified / meta handling shared by the interactions (http.html#versioning).
import type { StoredVersion } from '../store/types.js'
import { badRequest, preconditionFailed } from '../errors.js'
import type { FhirResponse } from './types.js'

export const etagOf = (versionId: string | number) => `W/"${versionId}"`

/**
 * The versionId an entity tag names (W/"3", "3" and 3 are accepted: clients differ), `*` for
 * any version, or undefined for a well-formed tag that no version can have (W/"0", W/"abc").
 * A value that is not an entity tag at all is a 400.
 */
export function etagVersion(value: string, header = 'If-Match'): string | undefined {
  const v = value.trim()
  if (v === '*') return '*'
  const m = /^(?:W\/)?"([^"]*)"$/.exec(v) ?? /^([0-9]+)$/.exec(v)
  if (!m) throw badRequest(`${header} must be a version ETag such as W/"3", got ${JSON.stringify(value)}`)
  return /^[1-9][0-9]{0,17}$/.test(m[1]) ? m[1] : undefined
}

/**
 * If-Match: the write applies only to the version the client last saw; any other tag is a 412
 * (http.html#concurrency, RFC 9110 §13.1.1). A deleted resource's current version is its
 * deletion, so a client that saw the delete's ETag may bring it back with a PUT.
 */
export function checkIfMatch(ifMatch: string | undefined, current: StoredVersion | undefined) {
  if (ifMatch === undefined) return
  const wanted = etagVersion(ifMatch)
  if (!current) throw preconditionFailed(`If-Match ${ifMatch.trim()} given, but the resource does not exist`)
  if (wanted === '*' ? current.deleted : current.versionId !== wanted) {
    const state = current.deleted ? ' (a deletion)' : ''
    throw preconditionFailed(`Version conflict: If-Match ${ifMatch.trim()} but the current version is ${etagOf(current.versionId)}${state}`)
  }
}

/** A malformed tag in the list is a 400, whether or not there is a version to compare it with. */
export function assertEntityTags(value: string | undefined, header: string): void {
  if (value !== undefined) for (const tag of value.split(',')) etagVersion(tag, header)
}

/** Whether an If-None-Match list names `versionId` (or is `*`); tags naming no version never match. */
export const noneMatchHits = (ifNoneMatch: string, versionId: string) =>
  ifNoneMatch.split(',').some((tag) => [versionId, '*'].includes(etagVersion(tag, 'If-None-Match')!))

/** If-None-Match on a write (RFC 9110 §13.1.2): refused (412) when it names the current version, or is `*`. */
export function checkIfNoneMatch(ifNoneMatch: string | undefined, current: StoredVersion | undefined) {
  if (ifNoneMatch === undefined) return
  assertEntityTags(ifNoneMatch, 'If-None-Match')
  if (!current || current.deleted) return
  if (noneMatchHits(ifNoneMatch, current.versionId)) {
    throw preconditionFailed(`If-None-Match ${ifNoneMatch.trim()} given, and the current version is ${etagOf(current.versionId)}`)
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
    lastUpdated: v.lastUpdated,
    location: withLocation ? `${baseUrl}/${v.resourceType}/${v.id}/_history/${v.versionId}` : undefined,
  }
}

/** The server's clock for meta.lastUpdated (ties in history are ordered by versionId). */
export const now = (): string => new Date().toISOString()
