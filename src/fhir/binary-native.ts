// Binary as its own content (binary.html, "Serving Binary Resources using the RESTful API"):
//  - read: "when a read request is made for the binary resource that doesn't explicitly specify
//    the FHIR content types application/fhir+xml or application/fhir+json, then the content
//    should be returned using the content type stated in the resource". A browser or `curl`
//    following a DocumentReference's attachment URL gets the PDF, not a JSON wrapper;
//  - create and update (POST Binary, PUT Binary/[id]) with any other Content-Type store the
//    bytes as a Binary of that contentType; X-Security-Context names its securityContext.
import type { FastifyReply } from 'fastify'
import type { Binary } from '@medplum/fhirtypes'
import { badRequest } from '../errors.js'
import { isFhirType } from './format.js'
import { JSON_PATCH } from './interactions/patch.js'
import { localTarget } from './references.js'
import { ID_PATTERN } from './routes.js'
import type { FhirResponse } from './types.js'

/** Whether a read of `type` is answered with the Binary's own content. */
export function wantsNativeBinary(type: string | undefined, interaction: string, accept: string | undefined, format: string | undefined): boolean {
  return type === 'Binary' && (interaction === 'read' || interaction === 'vread') && format === undefined && !(accept ?? '').split(',').some(isFhirType)
}

/** Sends the Binary in `res` as its contentType with its decoded data; other answers (304, errors) as they are. */
export function sendNativeBinary(reply: FastifyReply, res: FhirResponse, head: boolean): FastifyReply | undefined {
  if (res.status !== 200 || res.body === undefined) return undefined
  const binary = (typeof res.body === 'string' ? JSON.parse(res.body) : res.body) as { contentType?: string; data?: string }
  reply.code(200)
  if (res.etag) reply.header('ETag', res.etag)
  if (res.lastModified) reply.header('Last-Modified', res.lastModified)
  // the same URL answers FHIR or the content by Accept
  reply.header('Vary', 'Accept')
  const type = MEDIA_TYPE.test(binary.contentType ?? '') ? binary.contentType! : 'application/octet-stream'
  reply.type(type)
  for (const [name, value] of Object.entries(contentHeaders(type))) reply.header(name, value)
  const bytes = Buffer.from(binary.data ?? '', 'base64')
  if (head) return reply.header('Content-Length', String(bytes.length)).send()
  return reply.send(bytes)
}

/** A media type as RFC 9110 §8.3.1 writes it (ASCII tokens, parameters after ';'). */
const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[\x20-\x7e]*"|[A-Za-z0-9!#$&^_.+-]+))*$/

/** Types a browser shows without running anything of the writer's: documents, images, sound, video, plain text. */
const SHOWN = /^(application\/pdf|image\/(png|jpeg|gif|webp|bmp|tiff)|audio\/[a-z0-9.+-]+|video\/[a-z0-9.+-]+|text\/plain)\s*(;|$)/i

/**
 * Stored content is whatever a client wrote, served from this server's origin. What a browser
 * only shows comes inline (a PDF viewer does not start in a sandboxed document); anything else
 * (HTML, SVG, XML, unknown types) comes as a download, sandboxed, so it runs no script here.
 * Browsers must not guess another type either way.
 */
function contentHeaders(type: string): Record<string, string> {
  const headers: Record<string, string> = { 'X-Content-Type-Options': 'nosniff' }
  // no CSP on those: a policy blocking plugins keeps some browsers' PDF viewers from starting
  if (SHOWN.test(type)) return headers
  return { ...headers, 'Content-Disposition': 'attachment', 'Content-Security-Policy': "sandbox; default-src 'none'" }
}

/** POST /fhir/Binary or PUT /fhir/Binary/[id] with a body that is not FHIR (nor JSON Patch): the content itself. */
export function isNativeBinaryWrite(url: string, method: string, contentType: string | undefined): boolean {
  if (method !== 'POST' && method !== 'PUT') return false
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase()
  if (type === '' || type === JSON_PATCH || isFhirType(type)) return false
  const [, base, id, ...rest] = url.split('?')[0].replace(/\/+$/, '').split('/').slice(1)
  if (base !== 'Binary' || rest.length) return false
  return method === 'POST' ? id === undefined : id !== undefined && ID_PATTERN.test(id)
}

/** The Binary a native write stands for. */
export function binaryFromContent(bytes: Buffer, contentType: string, id: string | undefined, securityContext: string | undefined): Binary {
  if (securityContext !== undefined && localTarget(securityContext, '') !== securityContext) {
    throw badRequest('X-Security-Context must be a reference such as Patient/123', 'X-Security-Context')
  }
  return {
    resourceType: 'Binary',
    ...(id ? { id } : {}),
    contentType,
    ...(securityContext ? { securityContext: { reference: securityContext } } : {}),
    ...(bytes.length ? { data: bytes.toString('base64') } : {}),
  }
}
