// batch: POST [base] with a Bundle of type batch — http.html#transaction. Each entry runs on
// its own (its own database transaction) and succeeds or fails without touching the others.
import { badRequest, toOutcome } from '../../errors.js'
import type { FailedEntry, ParsedEntry } from '../bundle-entries.js'
import { rebase } from '../bundle-entries.js'
import { HANDLERS } from '../handlers.js'
import { findReferences } from '../references.js'
import type { ReturnPreference } from '../prefer.js'
import type { InteractionContext } from '../types.js'
import { entryResult } from './bundle-response.js'

export async function processBatch(entries: ParsedEntry[], ctx: InteractionContext, preference: ReturnPreference) {
  const results = []
  for (const entry of entries) {
    try {
      if ('error' in entry) throw (entry as FailedEntry).error
      refuseUrnReferences(entry)
      const handler = HANDLERS[entry.route.interaction as keyof typeof HANDLERS]
      const response = await handler(entry.request, ctx, entry.route.params)
      results.push(entryResult(response, preference, entry.request.method === 'GET'))
    } catch (err) {
      const { status, outcome } = toOutcome(rebase(err, entry.path))
      results.push(entryResult({ status, body: outcome }, 'OperationOutcome'))
    }
  }
  return { resourceType: 'Bundle', type: 'batch-response', ...(results.length ? { entry: results } : {}) }
}

/**
 * http.html#transaction: a batch's entries SHALL have no interdependencies, and references to a
 * resource created in the same batch are non-conformant. A urn:uuid or urn:oid reference can
 * only name another entry, so such an entry fails alone (400) rather than storing a reference to
 * nothing.
 */
function refuseUrnReferences(entry: ParsedEntry) {
  if (!entry.resource) return
  for (const ref of findReferences(entry.resource as unknown as Record<string, unknown>)) {
    if (/^urn:(uuid|oid):/.test(ref.value)) {
      throw badRequest(`Reference ${ref.value} names another entry of the batch; a batch's entries are independent (use a transaction to link them)`, ref.path)
    }
  }
}
