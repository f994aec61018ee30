// Every failure becomes an OperationOutcome with an HTTP status, here and nowhere else.
// http.html#2.21.0.17 (R4) lists the statuses; issue.expression carries the FHIRPath location.
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes'

export type IssueCode = OperationOutcomeIssue['code']

/** An error that already knows its HTTP status and OperationOutcome. */
export class FhirError extends Error {
  /** response headers the status calls for (405: Allow) */
  headers?: Record<string, string>

  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue?.[0]?.diagnostics ?? `HTTP ${status}`)
  }
}

export function outcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues }
}

export function issue(
  code: IssueCode,
  diagnostics: string,
  expression?: string | string[],
  severity: OperationOutcomeIssue['severity'] = 'error',
): OperationOutcomeIssue {
  const out: OperationOutcomeIssue = { severity, code, diagnostics }
  if (expression !== undefined) out.expression = Array.isArray(expression) ? expression : [expression]
  return out
}

const fail = (status: number, code: IssueCode) => (message: string, expression?: string | string[]) =>
  new FhirError(status, outcome([issue(code, message, expression)]))

export const badRequest = fail(400, 'invalid')
export const notFound = fail(404, 'not-found')
export const methodNotAllowed = fail(405, 'not-supported')
export const notAcceptable = fail(406, 'not-supported')
export const conflict = fail(409, 'conflict')
export const gone = fail(410, 'deleted')
export const preconditionFailed = fail(412, 'conflict')
export const payloadTooLarge = fail(413, 'too-costly')
export const tooLong = fail(400, 'too-long')
export const unsupportedMediaType = fail(415, 'not-supported')
export const unprocessable = fail(422, 'processing')
export const notSupported = fail(400, 'not-supported')

export function invalidResource(issues: OperationOutcomeIssue[], status = 400): FhirError {
  return new FhirError(status, outcome(issues))
}

/** Anything thrown → [status, OperationOutcome]. Unknown errors are 500 without internals. */
export function toOutcome(err: unknown): { status: number; outcome: OperationOutcome } {
  if (err instanceof FhirError) return { status: err.status, outcome: err.outcome }
  const e = err as { code?: string; statusCode?: number; message?: string }
  // Fastify's own client errors (body parsing, limits, media types)
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return wrap(413, 'too-costly', 'Request body is larger than the configured limit (CASEHUB_BODY_LIMIT)')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return wrap(415, 'not-supported', 'Unsupported Content-Type; use application/fhir+json')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return wrap(400, 'structure', `Body is not valid JSON: ${e.message}`)
    // PostgreSQL: https://www.postgresql.org/docs/current/errcodes-appendix.html
    case '23505':
      return wrap(409, 'conflict', 'The resource was changed by another request at the same time; retry')
    case '40001':
    case '40P01':
      return wrap(409, 'transient', 'Concurrent update conflict; retry the request')
    case '22P05':
    case '22021':
    case '22P02':
      return wrap(400, 'invalid', 'Request contains characters or values the store cannot accept (e.g. \\u0000)')
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return wrap(e.statusCode, 'invalid', e.message ?? 'Bad request')
  }
  return wrap(500, 'exception', 'Internal server error')
}

function wrap(status: number, code: IssueCode, message: string) {
  return { status, outcome: outcome([issue(code, message)]) }
}
