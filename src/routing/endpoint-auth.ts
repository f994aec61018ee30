// Endpoint auth by reference (issue 6 "auth header secret by reference to configuration, never
// stored in clear"): an Endpoint names a secret with the casehub-endpoint-secret extension; the
// secret itself (the whole Authorization header value, e.g. "Bearer …") lives only in
// configuration (CASEHUB_ENDPOINT_SECRETS / _FILE) and is added to the request at delivery.
// Endpoint.header (https://hl7.org/fhir/R4/endpoint-definitions.html#Endpoint.header) carries
// other "Name: value" headers for the rest channel; an Authorization header there would put a
// credential in the database (and in every version of its history), so it is refused.
import type { Endpoint, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes'
import { invalidResource, issue } from '../errors.js'

export const ENDPOINT_SECRET_EXTENSION = 'https://casehub.org/fhir/StructureDefinition/casehub-endpoint-secret'

/** Headers CaseHub sets itself; an Endpoint may not replace them. */
const RESERVED = new Set(['authorization', 'content-type', 'content-length', 'host', 'connection', 'transfer-encoding'])

function headerName(line: string): string | undefined {
  const m = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*:/.exec(line)
  return m?.[1].toLowerCase()
}

/** The secret name an Endpoint refers to, if any. */
export function secretNameOf(endpoint: Endpoint): string | undefined {
  return endpoint.extension?.find((e) => e.url === ENDPOINT_SECRET_EXTENSION)?.valueString
}

/**
 * Write check: 422 for an Authorization header in clear, a header CaseHub sets itself, or a
 * secret name that is not configured (better refused now than dead-lettered at delivery).
 */
export function assertEndpointAuth(resource: Resource, secrets: Readonly<Record<string, string>>, path = 'Endpoint'): void {
  const endpoint = resource as Endpoint
  const issues: OperationOutcomeIssue[] = []
  ;(endpoint.header ?? []).forEach((line, i) => {
    const name = headerName(line)
    if (name === 'authorization') {
      issues.push(issue('security', `An Authorization header may not be stored on an Endpoint; configure the credential as a secret (CASEHUB_ENDPOINT_SECRETS) and name it with the extension ${ENDPOINT_SECRET_EXTENSION}`, `${path}.header[${i}]`))
    } else if (name && RESERVED.has(name)) {
      issues.push(issue('business-rule', `The ${name} header is set by CaseHub and may not be given on an Endpoint`, `${path}.header[${i}]`))
    }
  })
  ;(endpoint.extension ?? []).forEach((ext, i) => {
    if (ext.url !== ENDPOINT_SECRET_EXTENSION) return
    const name = ext.valueString
    if (!name) issues.push(issue('required', 'The endpoint secret extension needs valueString: the name of a configured secret', `${path}.extension[${i}]`))
    else if (!Object.hasOwn(secrets, name)) {
      issues.push(issue('business-rule', `No endpoint secret named ${JSON.stringify(name)} is configured (CASEHUB_ENDPOINT_SECRETS)`, `${path}.extension[${i}].value`))
    }
  })
  if (issues.length) throw invalidResource(issues, 422)
}

/** The headers a delivery to `endpoint` carries, or why it cannot be made (dead-lettered). */
export function endpointHeaders(endpoint: Endpoint, secrets: Readonly<Record<string, string>>): { headers: Record<string, string> } | { error: string } {
  const headers: Record<string, string> = {}
  for (const line of endpoint.header ?? []) {
    const name = headerName(line)
    if (name === 'authorization') return { error: `Endpoint/${endpoint.id} carries an Authorization header in clear; name a configured secret instead` }
    if (!name || RESERVED.has(name)) continue
    headers[name] = line.slice(line.indexOf(':') + 1).trim()
  }
  const secretName = secretNameOf(endpoint)
  if (secretName !== undefined) {
    if (!Object.hasOwn(secrets, secretName)) return { error: `Endpoint/${endpoint.id} names the secret ${JSON.stringify(secretName)}, which is not configured here (CASEHUB_ENDPOINT_SECRETS)` }
    headers.authorization = secrets[secretName]
  }
  return { headers }
}
