// The write check for Subscription (R4 subscription.html, Subscription.status and .channel):
// the server only takes on what it can do — a rest-hook channel to an http(s) endpoint, a JSON
// payload or none, "Name: value" headers, criteria it can search by — and refuses anything
// else with 422 and the element's FHIRPath, rather than storing a Subscription that would never
// notify. ("Server MAY reject the Subscription request (e.g., unsupported channel type)".)
//
// Status: "A client can only submit subscription resources in the requested or off state. Only
// the server can move a subscription from requested to active, and then to error." A
// `requested` Subscription that passes these checks is therefore stored `active` (the check
// sets it on the resource before it is written, so the response shows it); `off` stays off.
// `active` and `error` are kept as given, so a client may write back what it read.
import type { OperationOutcomeIssue, Resource, Subscription } from '@medplum/fhirtypes'
import { FhirError, invalidResource, issue } from '../errors.js'
import { parseCriteria } from './criteria.js'

/** Payload MIME types this server sends (it speaks JSON only, as its REST API does). */
const JSON_TYPES = ['application/fhir+json', 'application/json']
/** Headers the notification request sets itself. */
const RESERVED = new Set(['content-type', 'content-length', 'host', 'connection', 'transfer-encoding'])
const HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([^\r\n]*)$/

/** "Name: value" → [name, value]; undefined when it is not a header line. */
export function parseHeader(line: string): [string, string] | undefined {
  const m = HEADER.exec(line)
  return m ? [m[1], m[2].trim()] : undefined
}

/** The MIME type without parameters, lower case (`application/fhir+json;fhirVersion=4.0` → `application/fhir+json`). */
export const mimeType = (payload: string) => payload.split(';')[0].trim().toLowerCase()

function channelIssues(sub: Subscription, path: string): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = []
  const channel = sub.channel
  if (channel?.type !== 'rest-hook') {
    issues.push(issue('not-supported', `Channel type ${JSON.stringify(channel?.type)} is not supported; this server notifies by rest-hook only`, `${path}.channel.type`))
    return issues
  }
  let url: URL | undefined
  try {
    url = channel.endpoint ? new URL(channel.endpoint) : undefined
  } catch {
    url = undefined
  }
  if (!url || !['http:', 'https:'].includes(url.protocol)) {
    issues.push(issue('value', 'A rest-hook channel needs an absolute http: or https: endpoint URL', `${path}.channel.endpoint`))
  }
  if (channel.payload !== undefined && !JSON_TYPES.includes(mimeType(channel.payload))) {
    issues.push(issue('not-supported', `Payload ${JSON.stringify(channel.payload)} is not supported: use application/fhir+json, or leave payload out for an empty notification`, `${path}.channel.payload`))
  }
  ;(channel.header ?? []).forEach((line, i) => {
    const header = parseHeader(line)
    if (!header) issues.push(issue('value', 'A header must be one line "Name: value"', `${path}.channel.header[${i}]`))
    else if (RESERVED.has(header[0].toLowerCase())) issues.push(issue('business-rule', `The ${header[0]} header is set by the server`, `${path}.channel.header[${i}]`))
  })
  return issues
}

/** Refuses (422) a Subscription this server cannot serve; marks an accepted `requested` one `active`. */
export function checkSubscription(resource: Resource, path = 'Subscription'): void {
  const sub = resource as Subscription
  const issues = channelIssues(sub, path)
  try {
    parseCriteria(sub.criteria, '', path)
  } catch (err) {
    if (!(err instanceof FhirError)) throw err
    issues.push(...(err.outcome.issue ?? []))
  }
  if (issues.length) throw invalidResource(issues, 422)
  if (sub.status === 'requested') {
    sub.status = 'active'
    delete sub.error
  }
}
