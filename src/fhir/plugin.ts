// The FHIR REST API as a Fastify plugin mounted at /fhir. One catch-all route feeds the
// routing table (routes.ts), so HTTP requests and Bundle entries take the same path.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { badRequest } from '../errors.js'
import type { Config } from '../config.js'
import type { SearchResultCache } from './search/result-cache.js'
import type { Database } from '../store/database.js'
import { checkContentType, isXmlType, negotiate, summaryMode } from './format.js'
import { fromXml } from './xml/from-xml.js'
import { HANDLERS } from './handlers.js'
import { sendFhir } from './http-response.js'
import { binaryFromContent, isNativeBinaryWrite, sendNativeBinary, wantsNativeBinary } from './binary-native.js'
import { bundle } from './interactions/bundle.js'
import { JSON_PATCH } from './interactions/patch.js'
import { matchRoute, type Interaction } from './routes.js'
import { parseQueryString } from './search/criteria.js'
import type { FhirRequest, Handler, InteractionContext, Method } from './types.js'

const WRITES = new Set<Interaction>(['create', 'update', 'patch', 'conditional-update', 'conditional-patch'])
const FORM = 'application/x-www-form-urlencoded'

export interface FhirPluginOptions {
  config: Config
  db: Database
  /** repeated search results (search/result-cache.ts); absent: every search runs */
  searchCache?: SearchResultCache
}

export async function fhirPlugin(app: FastifyInstance, { config, db, searchCache }: FhirPluginOptions) {
  const handlerFor = (i: Interaction): Handler => (i === 'transaction' ? bundle : HANDLERS[i])

  // Bodies arrive as text and are parsed here, so a malformed body gets an OperationOutcome.
  // A Binary may arrive as its own content (binary.html): those bytes stay bytes.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = body as Buffer
    done(null, isNativeBinaryWrite(req.url, req.method, req.headers['content-type']) ? bytes : bytes.toString('utf8'))
  })

  const handle = async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const method = request.method as Method
    const [rawPath, qs = ''] = request.url.split('?', 2)
    const path = decodePath(rawPath.replace(/^\/fhir\/?/, ''))
    const query = parseQueryString(qs)
    const { interaction, params } = matchRoute(method, path)
    const native = wantsNativeBinary(params.type, interaction, request.headers.accept, query._format?.[0])
    const format = native ? 'json' : negotiate(request.headers.accept, query._format?.[0])
    const contentType = request.headers['content-type']?.split(';')[0].trim().toLowerCase()
    let body: unknown
    const raw = typeof request.body === 'string' ? request.body : undefined
    if (interaction.startsWith('search-') && method === 'POST') {
      // POST [type]/_search (and [base]/_search, [Compartment]/[id]/[type]/_search): form
      // parameters join the URL's (http.html#search)
      if (raw) {
        checkContentType(request.headers['content-type'], [FORM])
        for (const [k, v] of Object.entries(parseQueryString(raw))) (query[k] ??= []).push(...v)
      }
    } else if (interaction.startsWith('operation') && method === 'POST' && (raw === undefined || raw.trim() === '')) {
      // an operation invoked by POST without inputs (operations.html#invoking)
    } else if (Buffer.isBuffer(request.body) && (interaction === 'create' || interaction === 'update')) {
      body = binaryFromContent(request.body, header(request, 'content-type')!.trim(), params.id, header(request, 'x-security-context'))
    } else if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      checkContentType(request.headers['content-type'], method === 'PATCH' ? [JSON_PATCH, 'application/fhir+json'] : ['application/fhir+json'])
      body = isXmlType(contentType) ? parseXml(raw) : parseJson(raw)
    }
    const fhirRequest: FhirRequest = {
      method,
      path,
      query,
      body,
      contentType,
      headers: {
        ifMatch: header(request, 'if-match'),
        ifNoneMatch: header(request, 'if-none-match'),
        ifNoneExist: header(request, 'if-none-exist'),
        ifModifiedSince: header(request, 'if-modified-since'),
        prefer: header(request, 'prefer'),
      },
    }
    const ctx: InteractionContext = {
      store: db.store({ requestId: request.id, principal: { kind: 'anonymous' } }),
      baseUrl: config.baseUrl ?? `${request.protocol}://${request.host}/fhir`,
      referencePolicy: config.referencePolicy,
      searchCache,
    }
    const response = await handlerFor(interaction)(fhirRequest, ctx, params)
    if (native) {
      const sent = sendNativeBinary(reply, response, method === 'HEAD')
      if (sent) return sent
    }
    return sendFhir(reply, response, {
      isWrite: WRITES.has(interaction),
      prefer: fhirRequest.headers.prefer,
      summary: summaryMode(query._summary?.[0]),
      elements: query._elements?.[0]?.split(',').map((e) => e.trim()).filter(Boolean),
      pretty: query._pretty?.[0] === 'true',
      head: method === 'HEAD',
      format,
    })
  }

  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/', handler: handle })
  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/*', handler: handle })
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name]
  return Array.isArray(v) ? v[0] : v
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    throw badRequest('The request path is not valid percent-encoded text')
  }
}

function parseXml(raw: string | undefined): unknown {
  if (raw === undefined || raw.trim() === '') throw badRequest('A request body is required')
  return fromXml(raw)
}

function parseJson(raw: string | undefined): unknown {
  if (raw === undefined || raw.trim() === '') throw badRequest('A request body is required')
  try {
    return JSON.parse(raw)
  } catch (err) {
    throw badRequest(`Body is not valid JSON: ${(err as Error).message}`)
  }
}
