// The status URL of asynchronous requests (https://hl7.org/fhir/R4/async.html): [base]/_async/{id}.
// An operation that honours `Prefer: respond-async` answers 202 Accepted with Content-Location
// naming this URL and registers who answers for its ids; GET polls (202 with X-Progress while
// running, 200 with the result when done, 4xx/5xx with an OperationOutcome on failure) and
// DELETE cancels (202). Generic: the jobs' owners decide what each id means.
import { notFound } from '../../errors.js'
import type { FhirResponse, Handler, InteractionContext } from '../types.js'

export interface AsyncRequests {
  /** undefined when the id is not one of this owner's */
  status(id: string, ctx: InteractionContext): Promise<FhirResponse | undefined>
  cancel(id: string, ctx: InteractionContext): Promise<FhirResponse | undefined>
}

const owners: AsyncRequests[] = []

export function registerAsyncRequests(owner: AsyncRequests): void {
  if (!owners.includes(owner)) owners.push(owner)
}

export const statusUrl = (baseUrl: string, id: string) => `${baseUrl}/_async/${id}`

export const asyncStatus: Handler = async (_req, ctx, { id }) => {
  for (const owner of owners) {
    const res = await owner.status(id!, ctx)
    if (res) return res
  }
  throw notFound(`No asynchronous request ${id}`)
}

export const asyncCancel: Handler = async (_req, ctx, { id }) => {
  for (const owner of owners) {
    const res = await owner.cancel(id!, ctx)
    if (res) return res
  }
  throw notFound(`No asynchronous request ${id}`)
}
