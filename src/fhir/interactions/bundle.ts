// POST [base] with a transaction or batch Bundle — http.html#transaction.
import { parseBundle } from '../bundle-entries.js'
import { returnPreference } from '../prefer.js'
import type { Handler } from '../types.js'
import { processBatch } from './batch.js'
import { processTransaction } from './transaction.js'

export const bundle: Handler = async (req, ctx) => {
  const { type, entries } = parseBundle(req.body)
  const preference = returnPreference(req.headers.prefer)
  const body =
    type === 'transaction'
      ? await processTransaction(entries, ctx, preference)
      : await processBatch(entries, ctx, preference)
  return { status: 200, body }
}
