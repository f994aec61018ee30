// The FHIR REST routing table (http.html#summary): path shape × method → interaction name.
// Pure matching; dispatch.ts maps names to handlers, capabilities.ts describes this table.
import { badRequest, methodNotAllowed, notFound } from '../errors.js'
import type { Method, RouteParams } from './types.js'
import { isResourceType } from './validation/index.js'

export type Interaction =
  | 'capabilities' | 'transaction' | 'history-system' | 'search-system' | 'search-compartment'
  | 'search-type' | 'create' | 'conditional-update' | 'conditional-delete' | 'conditional-patch' | 'history-type'
  | 'read' | 'update' | 'patch' | 'delete' | 'history-instance' | 'vread'
  | 'operation-system' | 'operation-type' | 'operation-instance'
  | 'async-status' | 'async-cancel'

type Shape =
  | 'root' | '_search' | 'metadata' | '_history' | 'type' | 'type/id/type' | 'type/id/type/_search' | 'type/_search'
  | 'type/_history' | 'type/id'
  | 'type/id/_history' | 'type/id/_history/vid' | '$op' | 'type/$op' | 'type/id/$op' | 'type/id/_history/vid/$op' | '_async/id'

export const ROUTES: Record<Shape, Partial<Record<Method, Interaction>>> = {
  root: { GET: 'search-system', POST: 'transaction' },
  _search: { POST: 'search-system' },
  metadata: { GET: 'capabilities' },
  _history: { GET: 'history-system' },
  type: { GET: 'search-type', POST: 'create', PUT: 'conditional-update', DELETE: 'conditional-delete', PATCH: 'conditional-patch' },
  'type/_search': { POST: 'search-type' },
  'type/_history': { GET: 'history-type' },
  'type/id': { GET: 'read', PUT: 'update', PATCH: 'patch', DELETE: 'delete' },
  'type/id/_history': { GET: 'history-instance' },
  'type/id/type': { GET: 'search-compartment' },
  'type/id/type/_search': { POST: 'search-compartment' },
  'type/id/_history/vid': { GET: 'vread' },
  // operations.html#invoking: [base]/$op, [base]/[type]/$op, [base]/[type]/[id]/$op
  $op: { GET: 'operation-system', POST: 'operation-system' },
  'type/$op': { GET: 'operation-type', POST: 'operation-type' },
  'type/id/$op': { GET: 'operation-instance', POST: 'operation-instance' },
  // [type]/[id]/_history/[vid]/$op: operations on a version ($meta, $meta-add, $meta-delete)
  'type/id/_history/vid/$op': { GET: 'operation-instance', POST: 'operation-instance' },
  // async.html: the status URL of a request made with Prefer: respond-async (poll, or DELETE to cancel)
  '_async/id': { GET: 'async-status', DELETE: 'async-cancel' },
}

export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/

export interface MatchedRoute {
  interaction: Interaction
  params: RouteParams
}

export function matchRoute(method: Method, path: string): MatchedRoute {
  const segments = path.split('/').filter((s) => s !== '')
  const params: RouteParams = {}
  let shape: Shape
  const [first, second, third, fourth] = segments
  if (segments.length === 0) shape = 'root'
  else if (segments.length === 1 && first === 'metadata') shape = 'metadata'
  else if (segments.length === 1 && first === '_history') shape = '_history'
  else if (segments.length === 1 && first === '_search') shape = '_search'
  else if (segments.length === 2 && first === '_async') {
    if (!ID_PATTERN.test(second)) throw notFound(`No asynchronous request ${second.slice(0, 80)}`)
    params.id = second
    shape = '_async/id'
  } else if (segments.length === 1 && first.startsWith('$')) {
    params.operation = operationName(first)
    shape = '$op'
  } else {
    if (!isResourceType(first)) throw notFound(`Unknown resource type "${first}"`)
    params.type = first
    if (segments.length === 1) shape = 'type'
    else if (segments.length === 2 && second.startsWith('$')) {
      params.operation = operationName(second)
      shape = 'type/$op'
    }
    else if (segments.length === 2 && second === '_search') shape = 'type/_search'
    else if (segments.length === 2 && second === '_history') shape = 'type/_history'
    else {
      if (!ID_PATTERN.test(second)) {
        throw badRequest(`Invalid resource id "${second.slice(0, 80)}": ids are 1-64 of A-Z a-z 0-9 - .`)
      }
      params.id = second
      if (segments.length === 2) shape = 'type/id'
      else if (segments.length === 3 && third.startsWith('$')) {
        params.operation = operationName(third)
        shape = 'type/id/$op'
      }
      else if (segments.length === 3 && third === '_history') shape = 'type/id/_history'
      else if ((segments.length === 3 || (segments.length === 4 && fourth === '_search')) && (isResourceType(third) || third === '*')) {
        params.compartmentType = third
        shape = segments.length === 3 ? 'type/id/type' : 'type/id/type/_search'
      }
      else if (segments.length === 4 && third === '_history') {
        params.versionId = fourth
        shape = 'type/id/_history/vid'
      } else if (segments.length === 5 && third === '_history' && segments[4].startsWith('$')) {
        params.versionId = fourth
        params.operation = operationName(segments[4])
        shape = 'type/id/_history/vid/$op'
      } else throw notFound(`No FHIR interaction at /${path}`)
    }
  }
  const interaction = ROUTES[shape!][method === 'HEAD' ? 'GET' : method]
  if (!interaction) {
    const allowed = Object.keys(ROUTES[shape]).join(', ')
    const err = methodNotAllowed(`${method} is not allowed on /${path}; allowed: ${allowed}`)
    // RFC 9110 §15.5.6: a 405 names the methods the resource supports
    err.headers = { Allow: [...new Set([...Object.keys(ROUTES[shape]), ...(ROUTES[shape].GET ? ['HEAD'] : [])])].join(', ') }
    throw err
  }
  return { interaction, params }
}

function operationName(segment: string): string {
  const name = segment.slice(1)
  if (!/^[A-Za-z][A-Za-z0-9\-]{0,63}$/.test(name)) throw notFound(`No operation named "${segment.slice(0, 80)}"`)
  return name
}
