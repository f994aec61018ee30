// Binary served as its own content (binary.html, "Serving Binary Resources using the RESTful
// API"): "when a read request is made for the binary resource that doesn't explicitly specify the
// FHIR content types application/fhir+xml or application/fhir+json, then the content should be
// returned using the content type stated in the resource". A browser or `curl` following a
// DocumentReference's attachment URL gets the PDF, not a JSON wrapper.
import type { FastifyReply } from 'fastify'
import type { FhirResponse } from './types.js'

const FHIR_TYPES = /application\/(fhir\+json|fhir\+xml|json\+fhir|xml\+fhir|json|xml)\b/i

/** Whether a read of `type` is answered with the Binary's own content. */
export function wantsNativeBinary(type: string | undefined, interaction: string, accept: string | undefined, format: string | undefined): boolean {
  return type === 'Binary' && (interaction === 'read' || interaction === 'vread') && format === undefined && !FHIR_TYPES.test(accept ?? '')
}

/** Sends the Binary in `res` as its contentType with its decoded data; other answers (304, errors) as they are. */
export function sendNativeBinary(reply: FastifyReply, res: FhirResponse, head: boolean): FastifyReply | undefined {
  if (res.status !== 200 || res.body === undefined) return undefined
  const binary = (typeof res.body === 'string' ? JSON.parse(res.body) : res.body) as { contentType?: string; data?: string }
  reply.code(200)
  if (res.etag) reply.header('ETag', res.etag)
  if (res.lastModified) reply.header('Last-Modified', res.lastModified)
  reply.type(binary.contentType || 'application/octet-stream')
  // stored content is whatever a client wrote: an HTML or SVG Binary must not run script with
  // this server's origin, and browsers must not guess another type
  reply.header('Content-Security-Policy', "sandbox; default-src 'none'")
  reply.header('X-Content-Type-Options', 'nosniff')
  return reply.send(head ? undefined : Buffer.from(binary.data ?? '', 'base64'))
}
