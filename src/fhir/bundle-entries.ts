// Reading the entries of a transaction or batch Bundle (http.html#transaction): each entry's
// method, URL, conditional headers and resource, checked before anything runs.
import type { BundleEntry, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes'
import { badRequest, FhirError, invalidResource, issue } from '../errors.js'
import { requireResource } from './incoming.js'
import { matchRoute, type MatchedRoute } from './routes.js'
import { parseQueryString } from './search/criteria.js'
import type { FhirRequest, Method } from './types.js'

export interface ParsedEntry {
  index: number
  /** FHIRPath of the entry, for error locations */
  path: string
  fullUrl?: string
  request: FhirRequest
  route: MatchedRoute
  resource?: Resource
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'])

export function parseBundle(body: unknown): { type: 'transaction' | 'batch'; entries: ParsedEntry[] } {
  const bundle = body as { resourceType?: unknown; type?: unknown; entry?: unknown }
  if (!bundle || typeof bundle !== 'object' || Array.isArray(bundle)) throw badRequest('The body must be a Bundle resource')
  if (bundle.resourceType !== 'Bundle') {
    throw badRequest(`POST to the base URL takes a Bundle, got ${JSON.stringify(bundle.resourceType)}`, 'resourceType')
  }
  if (bundle.type !== 'transaction' && bundle.type !== 'batch') {
    throw badRequest(`Bundle.type must be transaction or batch, got ${JSON.stringify(bundle.type)}`, 'Bundle.type')
  }
  if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) throw badRequest('Bundle.entry must be an array', 'Bundle.entry')
  const raw = (bundle.entry ?? []) as BundleEntry[]
  // An entry without a request, or with a method outside HTTPVerb (a required binding), makes
  // the Bundle itself invalid: 400 for the whole request, batches included.
  const malformed = [...raw.flatMap((entry, index) => entryShapeProblems(entry, `Bundle.entry[${index}]`)), ...duplicateFullUrls(raw)]
  if (malformed.length) throw invalidResource(malformed, 400)
  const entries: ParsedEntry[] = []
  const problems: OperationOutcomeIssue[] = []
  let status = 0
  raw.forEach((entry, index) => {
    try {
      entries.push(parseEntry(entry, index))
    } catch (err) {
      if (!(err instanceof FhirError) || bundle.type === 'batch') {
        if (bundle.type === 'batch' && err instanceof FhirError) entries.push(failedEntry(index, err))
        else throw err
      } else {
        problems.push(...(err.outcome.issue ?? []))
        // The Bundle is invalid (400), unless every problem is a profile violation (422)
        status = err.status === 422 && (status === 0 || status === 422) ? 422 : 400
      }
    }
  })
  if (problems.length) throw invalidResource(problems, status)
  return { type: bundle.type, entries }
}

/**
 * bdl-7: "FullUrl must be unique in a bundle, or else entries with the same fullUrl must have
 * different meta.versionId" — otherwise a reference to it names two resources.
 */
function duplicateFullUrls(raw: BundleEntry[]): OperationOutcomeIssue[] {
  const seen = new Map<string, number>()
  const problems: OperationOutcomeIssue[] = []
  raw.forEach((entry, index) => {
    if (!entry || typeof entry !== 'object' || typeof entry.fullUrl !== 'string') return
    const key = `${entry.fullUrl} ${entry.resource?.meta?.versionId ?? ''}`
    const first = seen.get(key)
    if (first === undefined) seen.set(key, index)
    else problems.push(issue('invalid', `Bundle.entry[${index}].fullUrl ${entry.fullUrl} repeats that of entry ${first} (bdl-7: fullUrl must be unique in a Bundle)`, `Bundle.entry[${index}].fullUrl`))
  })
  return problems
}

/** Batch entries that fail parsing still get a response slot with their error. */
export interface FailedEntry extends ParsedEntry {
  error: FhirError
}

function failedEntry(index: number, error: FhirError): FailedEntry {
  return {
    index,
    path: `Bundle.entry[${index}]`,
    request: { method: 'GET', path: '', query: {}, headers: {} },
    route: { interaction: 'read', params: {} },
    error,
  }
}

function entryShapeProblems(entry: BundleEntry, path: string): OperationOutcomeIssue[] {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return [issue('invalid', 'Bundle entry must be an object', path)]
  const req = entry.request
  if (!req || typeof req !== 'object') return [issue('required', 'Bundle entry needs a request', `${path}.request`)]
  if (typeof req.method !== 'string' || !METHODS.has(req.method.toUpperCase())) {
    return [issue('code-invalid', `Unknown request.method ${JSON.stringify(req.method)} (GET, HEAD, POST, PUT, PATCH or DELETE)`, `${path}.request.method`)]
  }
  const notText = (['url', 'ifMatch', 'ifNoneMatch', 'ifNoneExist', 'ifModifiedSince'] as const).filter((k) => req[k] !== undefined && typeof req[k] !== 'string')
  return notText.map((k) => issue('invalid', `request.${k} must be a string`, `${path}.request.${k}`))
}

function parseEntry(entry: BundleEntry, index: number): ParsedEntry {
  const path = `Bundle.entry[${index}]`
  const req = entry.request!
  const method = String(req.method ?? '').toUpperCase()
  if (typeof req.url !== 'string' || req.url === '') throw badRequest('request.url is required', `${path}.request.url`)
  const [pathPart, queryPart = ''] = stripBase(req.url).split('?', 2)
  let route: MatchedRoute
  try {
    route = matchRoute(method as Method, pathPart)
  } catch (err) {
    throw rebase(err, path, `${path}.request.url`)
  }
  if (route.interaction === 'transaction') throw badRequest('Bundles cannot be nested', `${path}.request.url`)
  const request: FhirRequest = {
    method: method as Method,
    path: pathPart,
    query: parseQueryString(queryPart),
    headers: {
      ifMatch: req.ifMatch,
      ifNoneMatch: req.ifNoneMatch,
      ifNoneExist: req.ifNoneExist,
      ifModifiedSince: req.ifModifiedSince,
    },
  }
  let resource: Resource | undefined
  if (route.interaction.startsWith('operation')) {
    // An operation checks its own inputs (a Parameters resource, or the resource it acts on)
    request.body = entry.resource
  } else if (method === 'POST' || method === 'PUT') {
    resource = requireResource(entry.resource, route.params.type!, `${path}.resource`)
    request.body = resource
  } else if (method === 'PATCH' && (entry.resource as { resourceType?: string } | undefined)?.resourceType === 'Parameters') {
    // a FHIRPath Patch travels as its Parameters resource (fhirpatch.html)
    request.body = entry.resource
    request.contentType = 'application/fhir+json'
  } else if (method === 'PATCH') {
    // JSON Patch inside a Bundle travels as a Binary (http.html#patch)
    const binary = entry.resource as { resourceType?: string; contentType?: string; data?: string } | undefined
    if (binary?.resourceType !== 'Binary' || !binary.data) {
      throw badRequest('A PATCH entry carries a JSON Patch as a Binary resource, or a FHIRPath Patch as Parameters', `${path}.resource`)
    }
    try {
      request.body = JSON.parse(Buffer.from(binary.data, 'base64').toString('utf8'))
    } catch {
      throw badRequest('The Binary of a PATCH entry does not hold JSON', `${path}.resource.data`)
    }
    request.contentType = 'application/json-patch+json'
  }
  return { index, path, fullUrl: entry.fullUrl, request, route, resource }
}

/** Entry URLs may be absolute (http://server/fhir/Patient/1) or relative (Patient/1). */
function stripBase(url: string): string {
  const m = /^https?:\/\/[^/]+(?:\/.*?)?\/((?:[A-Z][A-Za-z]+|metadata|_history)(?:[/?].*)?)$/.exec(url)
  return (m ? m[1] : url).replace(/^\//, '')
}

/**
 * Re-roots an error raised while handling one entry under that entry: `Patient.id` becomes
 * `Bundle.entry[3].resource.id`; an issue without a location points at `fallback`.
 */
export function rebase(err: unknown, entryPath: string, fallback = entryPath): unknown {
  if (!(err instanceof FhirError)) return err
  const issues = (err.outcome.issue ?? []).map((i) => {
    const expression = (i.expression ?? []).map((e) => {
      if (e.startsWith('Bundle.')) return e
      const m = /^[A-Z][A-Za-z]+(\..*|\[.*)?$/.exec(e)
      if (m) return `${entryPath}.resource${m[1] ?? ''}`
      // A search parameter name (e.g. _count) is about the entry's request.url, not an element.
      return /^[a-z_][A-Za-z0-9_:-]*$/.test(e) ? `${entryPath}.request.url` : `${entryPath}.${e}`
    })
    const diagnostics = i.diagnostics?.startsWith('Bundle.') ? i.diagnostics : `${entryPath}: ${i.diagnostics ?? ''}`
    return { ...i, diagnostics, expression: expression.length ? expression : [fallback] }
  })
  return new FhirError(err.status, { resourceType: 'OperationOutcome', issue: issues })
}

export { issue }
