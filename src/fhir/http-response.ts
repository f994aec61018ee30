// Turns a handler's FhirResponse into HTTP: headers, Prefer, _summary/_elements, _pretty.
import type { FastifyReply } from 'fastify'
import { serialize, serializeBytes } from './bundle-json.js'
import { returnPreference, writeOutcome } from './prefer.js'
import { subset, type SummaryMode, type WireFormat } from './format.js'
import { toXml } from './xml/to-xml.js'
import type { FhirResponse } from './types.js'

export const FHIR_JSON = 'application/fhir+json; charset=utf-8'
export const FHIR_XML = 'application/fhir+xml; charset=utf-8'

/** A body in the negotiated format (JSON text as stored, or its XML form). */
export function render(body: string | object, format: WireFormat, pretty = false): { type: string; text: string } {
  if (format === 'xml') return { type: FHIR_XML, text: toXml(typeof body === 'string' ? JSON.parse(body) : JSON.parse(serialize(body)), pretty) }
  return { type: FHIR_JSON, text: serialize(body, pretty) }
}

/** JSON bytes of bodies answered again and again (kept search results), encoded once. */
const encoded = new WeakMap<object, Buffer>()

/** Marks `body` as one that will be sent many times: its plain JSON form is encoded once and reused. */
export function reusedBody(body: object): void {
  encoded.set(body, serializeBytes(body))
}

export interface ResponseOptions {
  isWrite: boolean
  prefer?: string
  summary?: SummaryMode
  elements?: string[]
  pretty: boolean
  head: boolean
  format?: WireFormat
}

export function sendFhir(reply: FastifyReply, res: FhirResponse, opts: ResponseOptions) {
  reply.code(res.status)
  if (res.etag) reply.header('ETag', res.etag)
  if (res.lastModified) reply.header('Last-Modified', res.lastModified)
  if (res.location) reply.header('Location', res.location)
  for (const [name, value] of Object.entries(res.headers ?? {})) reply.header(name, value)
  let body = res.body
  if (opts.isWrite && body !== undefined) {
    const pref = returnPreference(opts.prefer)
    if (pref === 'minimal') body = undefined
    else if (pref === 'OperationOutcome') body = writeOutcome(res.status, res.issues)
  }
  const format = opts.format ?? 'json'
  if (body === undefined || res.status === 304 || opts.head) {
    if (body !== undefined) reply.type(format === 'xml' ? FHIR_XML : FHIR_JSON)
    return reply.send()
  }
  const ready = !opts.summary && !opts.elements && !opts.pretty && format === 'json' && typeof body === 'object' ? encoded.get(body) : undefined
  if (ready) return reply.type(FHIR_JSON).send(ready)
  if (opts.summary || opts.elements) body = view(body, opts.summary, opts.elements)
  if (format === 'json' && !opts.pretty && typeof body === 'object') return reply.type(FHIR_JSON).send(serializeBytes(body))
  const { type, text } = render(body, format, opts.pretty)
  return reply.type(type).send(text)
}

/** _summary/_elements: on a resource, or on each match of a searchset (search.html#summary). */
function view(body: string | object, summary: SummaryMode | undefined, elements: string[] | undefined): object {
  const value = typeof body === 'string' ? JSON.parse(body) : JSON.parse(serialize(body))
  if (value.resourceType === 'OperationOutcome') return value
  if (value.resourceType === 'Bundle' && value.type === 'searchset') {
    if (summary === 'count') {
      const { entry: _dropped, ...rest } = value
      return rest
    }
    // _elements names elements of the searched type; R4 has no way to name those of included
    // resources (other types), so they come whole
    const untouched = (e: any) => e.search?.mode === 'outcome' || !e.resource || (e.search?.mode === 'include' && !summary)
    value.entry = (value.entry ?? []).map((e: any) => (untouched(e) ? e : { ...e, resource: subset(e.resource, summary, elements) }))
    return value
  }
  if (value.resourceType === 'Bundle' && value.type !== 'searchset') return value
  return subset(value, summary, elements)
}
