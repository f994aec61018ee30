// batch: POST [base] with a Bundle of type batch — http.html#transaction. Each entry runs on
// its own (its own database transaction) and succeeds or fails without touching the others.
import { toOutcome } from '../../errors.js'
import type { FailedEntry, ParsedEntry } from '../bundle-entries.js'
import { rebase } from '../bundle-entries.js'
import { HANDLERS } from '../handlers.js'
import type { ReturnPreference } from '../prefer.js'
import type { InteractionContext } from '../types.js'
import { entryResult } from './bundle-response.js'

export async function processBatch(entries: ParsedEntry[], ctx: InteractionContext, preference: ReturnPreference) {
  const results = []
  for (const entry of entries) {
    try {
      if ('error' in entry) throw (entry as FailedEntry).error
      const handler = HANDLERS[entry.route.interaction as keyof typeof HANDLERS]
      const response = await handler(entry.request, ctx, entry.route.params)
      results.push(entryResult(response, preference, entry.request.method === 'GET'))
    } catch (err) {
      const { status, outcome } = toOutcome(rebase(err, entry.path))
      results.push(entryResult({ status, body: outcome }, 'OperationOutcome'))
    }
  }
  return { resourceType: 'Bundle', type: 'batch-response', entry: results }
}
