// buildApp(config, db): the Fastify instance with its plugins in order. The only place modules meet.
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify'
import { randomUUID } from 'node:crypto'
import type { Config } from './config.js'
import type { Duplex } from 'node:stream'
import { badRequest, FhirError, issue, notFound, outcome, toOutcome } from './errors.js'
import { serialize } from './fhir/bundle-json.js'
import { FHIR_JSON, render } from './fhir/http-response.js'
import { errorFormat } from './fhir/format.js'
import { fhirPlugin } from './fhir/plugin.js'
import { SearchResultCache } from './fhir/search/result-cache.js'
import { initSearchParameters } from './fhir/search/parameters.js'
import { initValidation } from './fhir/validation/index.js'
import { setUnknownProfilePolicy } from './fhir/conformance/declared-profiles.js'
import { registerValidate } from './fhir/operations/validate.js'
import { registerEverythingOperation } from './fhir/operations/everything.js'
import { registerMetaOperations } from './fhir/operations/meta.js'
import { registerTerminologyOperations } from './fhir/operations/terminology.js'
import { registerEligibilityOperation } from './casework/operations/eligibility.js'
import { registerTriageOperation } from './casework/operations/triage.js'
import { registerStratifyOperation } from './casework/operations/stratify.js'
import { stratificationResumer } from './casework/stratification/resumer.js'
import { libraryUpload } from './casework/library-upload.js'
import { referralIntake } from './casework/intake.js'
import { onwardReferralHook, registerOutboxStatusOperation } from './casework/onward.js'
import { carePlanActivities } from './casework/careplan-activities.js'
import { registerRetryDeliveryOperation } from './casework/operations/retry-delivery.js'
import { registerOutboxRetryOperation } from './casework/operations/outbox-retry.js'
import { registerPlanApplyOperation } from './casework/operations/plan-apply.js'
import { registerNamedQueries } from './casework/named-queries.js'
import { assertEndpointAuth } from './routing/endpoint-auth.js'
import { parseServiceHours } from './casework/service-hours.js'
import { onWrite } from './fhir/write-hooks.js'
import { startSubscriptions } from './subscriptions/index.js'
import { DISCHARGE_KIND, dischargeSummary } from './casework/discharge.js'
import { dischargeDelivery } from './casework/discharge-delivery.js'
import { registerDeliveryKind } from './routing/kinds.js'
import type { Database } from './store/database.js'

/** Errors answer in the format the client asked for, when it asked for one we speak. */
function formatOf(req: { headers: Record<string, string | string[] | undefined>; url?: string }) {
  const format = new URLSearchParams(String(req.url ?? '').split('?')[1] ?? '').get('_format') ?? undefined
  const accept = req.headers.accept
  return errorFormat(Array.isArray(accept) ? accept[0] : accept, format)
}

const REQUEST_ID = /^[A-Za-z0-9._:\-]{1,200}$/

/** Malformed HTTP (oversized headers, garbage): answered on the raw socket, still as FHIR. */
function rawClientError(err: Error & { code?: string }, socket: Duplex) {
  if (err.code === 'ECONNRESET' || !socket.writable) return
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  const text = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'
  const body = serialize(outcome([issue(status === 408 ? 'timeout' : 'invalid', `${text}: the HTTP request could not be read`)]))
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: ${FHIR_JSON}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}

export async function buildApp(config: Config, db: Database): Promise<FastifyInstance> {
  initValidation()
  initSearchParameters()
  setUnknownProfilePolicy(config.unknownProfile)
  registerValidate()
  registerEverythingOperation()
  registerMetaOperations()
  registerTerminologyOperations()
  registerEligibilityOperation()
  registerTriageOperation()
  registerStratifyOperation(config)
  onWrite('Library', libraryUpload)
  onWrite('ServiceRequest', referralIntake(parseServiceHours(config.serviceHours, config.bankHolidays)))
  onWrite('ServiceRequest', onwardReferralHook(config.outbox.maxAttempts))
  onWrite('CarePlan', carePlanActivities)
  onWrite('EpisodeOfCare', dischargeSummary)
  registerDeliveryKind(DISCHARGE_KIND, dischargeDelivery)
  registerOutboxStatusOperation()
  registerRetryDeliveryOperation()
  registerOutboxRetryOperation()
  registerPlanApplyOperation()
  registerNamedQueries()
  onWrite('Endpoint', { name: 'endpoint-auth', check: (resource, path) => assertEndpointAuth(resource, config.endpointSecrets, path) })
  const app = Fastify({
    bodyLimit: config.bodyLimit,
    // X-Request-Id is honoured when it is a sane token, else a new one is made (and echoed).
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      serializers: {
        // Paths only: query strings can carry patient identifiers (e.g. ?identifier=nhs|...).
        req: (req) => ({ method: req.method, path: String(req.url).split('?')[0], remoteAddress: req.ip }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
    },
    // Failures before routing still answer with an OperationOutcome.
    frameworkErrors: (err, req, reply) => {
      const { status, outcome } = toOutcome(badRequest(`The request URL is not valid: ${err.message}`))
      const { type, text } = render(outcome, formatOf(req))
      void (reply as FastifyReply).code(status).type(type).send(text)
    },
    clientErrorHandler: rawClientError,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  })

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('X-Request-Id', request.id)
    return payload
  })

  app.setErrorHandler((err, request, reply) => {
    const { status, outcome } = toOutcome(err)
    request.log[status >= 500 ? 'error' : 'warn']({ err: status >= 500 ? err : undefined, status, code: outcome.issue?.[0]?.code }, 'request failed')
    const { type, text } = render(outcome, formatOf(request))
    if (err instanceof FhirError && err.headers) reply.headers(err.headers)
    reply.code(status).type(type).send(text)
  })
  app.setNotFoundHandler((request, reply) => {
    const { status, outcome } = toOutcome(notFound(`Nothing at ${request.method} ${request.url.split('?')[0]}; the FHIR API is at /fhir`))
    const { type, text } = render(outcome, formatOf(request))
    reply.code(status).type(type).send(text)
  })

  const subscriptions = await startSubscriptions(db, (level, fields, msg) => app.log[level]({ module: 'subscriptions', ...fields }, msg))
  app.addHook('onClose', () => subscriptions.stop())
  // Abandoned stratification runs are resumed while the server listens (an app only injected
  // into resumes nothing); closing lets the batch in hand commit and releases the run.
  const resumer = stratificationResumer(db, config.stratify, (level, fields, msg) => app.log[level]({ module: 'stratification', ...fields }, msg))
  if (resumer) {
    app.addHook('onListen', async () => resumer.start(config.baseUrl ?? `${app.listeningOrigin}/fhir`))
    app.addHook('onClose', () => resumer.stop())
  }
  const searchCache = new SearchResultCache(config.searchCacheBytes)
  app.decorate('searchCache', searchCache)
  await app.register(fhirPlugin, { prefix: '/fhir', config, db, searchCache })
  return app
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the FHIR API's cache of repeated search results */
    searchCache: SearchResultCache
  }
}
