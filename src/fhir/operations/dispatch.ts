// Invokes an extended operation at system, type or instance level (operations.html#invoking).
import type { Resource } from '@medplum/fhirtypes'
import { badRequest, gone, methodNotAllowed, notFound } from '../../errors.js'
import { isNamedQuery } from '../search/named-queries.js'
import type { Handler } from '../types.js'
import { operationParameters } from './parameters.js'
import { findOperation } from './registry.js'

export const operation: Handler = async (req, ctx, { type, id, operation: code }) => {
  const op = findOperation(code!, type)
  const level = id !== undefined ? 'instance' : type !== undefined ? 'type' : 'system'
  const where = type ? (id ? `${type}/${id}` : type) : 'the server base'
  if (!op || (level === 'instance' && !op.instance) || (level === 'type' && !op.type) || (level === 'system' && !op.system)) {
    // a named query is run by the search interaction, never invoked (operationdefinition.html#query)
    if (!op && isNamedQuery(code!)) throw badRequest(`${code} is a named query: search with _query=${code}, e.g. GET [type]?_query=${code}`)
    throw notFound(`Operation $${code} is not supported on ${where}`)
  }
  if (req.method === 'GET' && op.affectsState) throw methodNotAllowed(`$${code} changes data, so it must be invoked with POST`)
  let target: Resource | undefined
  if (level === 'instance') {
    const current = await ctx.store.read(type!, id!)
    if (!current) throw notFound(`${type}/${id} is not known`)
    if (current.deleted) throw gone(`${type}/${id} was deleted (version ${current.versionId})`)
    target = JSON.parse(current.json!) as Resource
  }
  const parameters = operationParameters(op, req)
  return op.run({ level, resourceType: type, id, target, parameters, request: req }, ctx)
}
