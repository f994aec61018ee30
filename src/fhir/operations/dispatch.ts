// Invokes an extended operation at system, type or instance level (operations.html#invoking).
import type { Resource } from '@medplum/fhirtypes'
import { badRequest, gone, methodNotAllowed, notFound } from '../../errors.js'
import { isNamedQuery } from '../search/named-queries.js'
import type { Handler } from '../types.js'
import { operationParameters } from './parameters.js'
import { findOperation } from './registry.js'

export const operation: Handler = async (req, ctx, { type, id, versionId, operation: code }) => {
  const op = findOperation(code!, type)
  const level = id !== undefined ? 'instance' : type !== undefined ? 'type' : 'system'
  const where = type ? (id ? `${type}/${id}${versionId ? `/_history/${versionId}` : ''}` : type) : 'the server base'
  const unsupported = level === 'instance' ? !op?.instance || (versionId !== undefined && !op.version) : level === 'type' ? !op?.type : !op?.system
  if (!op || unsupported) {
    // a named query is run by the search interaction, never invoked (operationdefinition.html#query)
    if (!op && isNamedQuery(code!)) throw badRequest(`${code} is a named query: search with _query=${code}, e.g. GET [type]?_query=${code}`)
    throw notFound(`Operation $${code} is not supported on ${where}`)
  }
  if (req.method === 'GET' && op.affectsState) throw methodNotAllowed(`$${code} changes data, so it must be invoked with POST`)
  let target: Resource | undefined
  if (level === 'instance') {
    const current = versionId === undefined ? await ctx.store.read(type!, id!) : await ctx.store.vread(type!, id!, versionId)
    if (!current) throw notFound(`${where} is not known`)
    if (current.deleted) throw gone(`${type}/${id} was deleted (version ${current.versionId})`)
    target = JSON.parse(current.json!) as Resource
  }
  const parameters = operationParameters(op, req)
  return op.run({ level, resourceType: type, id, versionId, target, parameters, request: req }, ctx)
}
