// One Bundle.entry of a transaction-response or batch-response.
import { RawJson, statusLine } from '../bundle-json.js'
import { type ReturnPreference, writeOutcome } from '../prefer.js'
import type { FhirResponse } from '../types.js'

export function entryResult(response: FhirResponse, preference: ReturnPreference, isRead = false) {
  const resource =
    typeof response.body === 'string' ? new RawJson(response.body) : response.body
  const isOutcome = (resource as { resourceType?: string } | undefined)?.resourceType === 'OperationOutcome'
  const entry: Record<string, unknown> = {}
  if (resource && !isOutcome && (isRead || preference === 'representation')) entry.resource = resource
  entry.response = {
    status: statusLine(response.status),
    ...(response.location ? { location: response.location } : {}),
    ...(response.etag ? { etag: response.etag } : {}),
    // the instant itself, as history entries and meta.lastUpdated give it
    ...(response.lastUpdated || response.lastModified ? { lastModified: response.lastUpdated ?? new Date(response.lastModified!).toISOString() } : {}),
    // Bundle.entry.response.outcome: "hints and warnings produced as part of processing this entry"
    ...(isOutcome
      ? { outcome: resource }
      : preference === 'OperationOutcome' && !isRead
        ? { outcome: writeOutcome(response.status, response.issues) }
        : response.issues?.length
          ? { outcome: { resourceType: 'OperationOutcome', issue: response.issues } }
          : {}),
  }
  return entry
}
