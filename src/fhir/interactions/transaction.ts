// transaction: POST [base] with a Bundle of type transaction — http.html#transaction, #trules.
// One PostgreSQL transaction: all entries commit or none. Identities are resolved first
// (new ids, conditional creates/updates/deletes), then urn:uuid and conditional references are
// rewritten (a conditional reference may name a resource the Bundle writes: the spec resolves
// them after the writes), then entries run in the order the spec gives: DELETE, POST, PUT/PATCH,
// GET/HEAD.
import type { Resource } from '@medplum/fhirtypes'
import { randomUUID } from 'node:crypto'
import { badRequest, preconditionFailed } from '../../errors.js'
import type { ResourceStore } from '../../store/types.js'
import { rebase, type ParsedEntry } from '../bundle-entries.js'
import { meetsCriteria, rewriteLinks } from '../bundle-links.js'
import { findConditional } from '../conditional.js'
import { HANDLERS } from '../handlers.js'
import type { ReturnPreference } from '../prefer.js'
import { findReferences } from '../references.js'
import type { FhirResponse, InteractionContext } from '../types.js'
import { versionResponse } from '../versioning.js'
import { createPrepared, createVersion, prepareCreate, type PreparedCreate } from '../write.js'
import { entryResult } from './bundle-response.js'
import { conditionalUpdateResource, updateResource } from './update.js'
import { deleteResource } from './delete.js'
import { patchDocument, patchResource } from './patch.js'

const ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 }

interface Planned {
  entry: ParsedEntry
  /** Type/id this entry writes, once resolved */
  target?: string
  /** For a conditional create that matched: the existing resource's response */
  existing?: FhirResponse
}

export async function processTransaction(entries: ParsedEntry[], ctx: InteractionContext, preference: ReturnPreference) {
  return ctx.store.transaction(async (tx) => {
    const txCtx: InteractionContext = { ...ctx, store: tx }
    const plans = entries.map((entry) => ({ entry }) as Planned)
    const fullUrls = new Map<string, string>()
    for (const plan of plans) {
      try {
        await resolveIdentity(plan, tx, txCtx)
      } catch (err) {
        throw rebase(err, plan.entry.path)
      }
      if (plan.entry.fullUrl && plan.target) fullUrls.set(plan.entry.fullUrl, plan.target)
    }
    assertNoOverlap(plans)
    const absent = await absentUpdateTargets(plans, tx)
    const pending = new Set(plans.filter((p) => p.target && p.entry.request.method !== 'DELETE').map((p) => p.target!))
    // a FHIRPath Patch's values may refer to the Bundle's other entries too
    const referring = plans.map((plan) => ({ plan, resource: plan.entry.resource ?? (plan.entry.request.method === 'PATCH' ? parametersBody(plan.entry.request.body) : undefined) }))
    // Links to entries first, in every entry, so that conditional references are then matched
    // against the Bundle's resources as they will be written.
    for (const { plan, resource } of referring) {
      if (!resource) continue
      try {
        rewriteEntryLinks(resource, fullUrls, plan.entry.fullUrl)
        rewriteLinks(resource, fullUrls)
      } catch (err) {
        throw rebase(err, plan.entry.path)
      }
    }
    const resolve = conditionalResolver(plans, tx, ctx.baseUrl)
    for (const { plan, resource } of referring) {
      if (!resource) continue
      try {
        await rewriteConditionalReferences(resource, resolve, ctx.baseUrl)
      } catch (err) {
        throw rebase(err, plan.entry.path)
      }
    }
    const results: unknown[] = new Array(plans.length)
    const ordered = [...plans].sort((a, b) => ORDER[a.entry.request.method] - ORDER[b.entry.request.method] || a.entry.index - b.entry.index)
    const batched = new Map<Planned, FhirResponse>()
    const phasesBatched = new Set<number>()
    for (const plan of ordered) {
      const { entry } = plan
      const phase = ORDER[entry.request.method]
      if (!phasesBatched.has(phase) && batchable(plan, absent)) {
        // The creates of this phase go to the database together, in one statement.
        phasesBatched.add(phase)
        await createTogether(ordered.filter((p) => ORDER[p.entry.request.method] === phase && batchable(p, absent)), txCtx, pending, batched)
      }
      try {
        const response = batched.get(plan) ?? (await execute(plan, txCtx, pending, absent))
        results[entry.index] = entryResult(response, preference, entry.request.method === 'GET')
      } catch (err) {
        throw rebase(err, entry.path)
      }
    }
    // json.html: an empty array is not written (an empty transaction answers with no entries)
    return { resourceType: 'Bundle', type: 'transaction-response', ...(results.length ? { entry: results } : {}) }
  })
}

async function resolveIdentity(plan: Planned, tx: ResourceStore, ctx: InteractionContext) {
  const { request, route, resource } = plan.entry
  const type = route.params.type!
  switch (route.interaction) {
    case 'create': {
      if (request.headers.ifNoneExist) {
        const { matches } = await findConditional(tx, type, request.headers.ifNoneExist, { guard: true, baseUrl: ctx.baseUrl })
        if (matches.length > 1) throw preconditionFailed(`ifNoneExist criteria match more than one ${type}`)
        if (matches.length === 1) {
          plan.existing = versionResponse(200, matches[0], ctx.baseUrl, matches[0].json!, true)
          plan.target = `${type}/${matches[0].id}`
          return
        }
      }
      plan.target = `${type}/${randomUUID()}`
      return
    }
    case 'update':
    case 'patch':
    case 'delete':
      if (route.interaction === 'update' && resource?.id !== route.params.id) {
        throw badRequest(`Resource id ${JSON.stringify(resource?.id)} does not match the id in request.url`, `${resource?.resourceType}.id`)
      }
      plan.target = `${type}/${route.params.id}`
      return
    case 'conditional-update':
    case 'conditional-delete':
    case 'conditional-patch': {
      const guard = route.interaction === 'conditional-update'
      const { matches } = await findConditional(tx, type, request.query, { guard, baseUrl: ctx.baseUrl })
      if (matches.length > 1) throw preconditionFailed(`Conditional criteria in request.url match more than one ${type}`)
      if (matches.length === 1) plan.target = `${type}/${matches[0].id}`
      else if (route.interaction === 'conditional-update') plan.target = `${type}/${resource?.id ?? randomUUID()}`
      else if (route.interaction === 'conditional-patch') throw preconditionFailed(`No ${type} matches the conditional patch criteria`)
      return
    }
    default:
      return // reads and searches write nothing
  }
}

function assertNoOverlap(plans: Planned[]) {
  const seen = new Map<string, number>()
  for (const plan of plans) {
    if (!plan.target || plan.existing) continue
    const before = seen.get(plan.target)
    if (before !== undefined) {
      throw badRequest(
        `Entries ${before} and ${plan.entry.index} both write ${plan.target}; a transaction may touch each resource once`,
        plan.entry.path,
      )
    }
    seen.set(plan.target, plan.entry.index)
  }
}

/**
 * urn:uuid / fullUrl references → the ids assigned. bundle.html#references: a relative reference
 * in an entry with a RESTful fullUrl is resolved against that fullUrl's root first.
 */
function rewriteEntryLinks(resource: Resource, fullUrls: Map<string, string>, fullUrl: string | undefined) {
  const root = fullUrl && /^(https?:\/\/.+)\/[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.exec(fullUrl)?.[1]
  for (const ref of findReferences(resource as unknown as Record<string, unknown>)) {
    const [target, fragment] = ref.value.split('#', 2)
    const mapped = fullUrls.get(target) ?? (root && /^[A-Z][A-Za-z]+\/[^/]+$/.test(target) ? fullUrls.get(`${root}/${target}`) : undefined)
    if (mapped) ref.holder.reference = fragment === undefined ? mapped : `${mapped}#${fragment}`
    else if (/^urn:(uuid|oid):/.test(target)) throw badRequest(`Reference ${ref.value} matches no entry's fullUrl in this transaction`, ref.path)
  }
}

/** `Type?criteria` references → the one match. */
async function rewriteConditionalReferences(resource: Resource, resolve: (type: string, criteria: string) => Promise<string[]>, baseUrl: string) {
  for (const ref of findReferences(resource as unknown as Record<string, unknown>)) {
    const conditional = /^([A-Z][A-Za-z]+)\?(.+)$/.exec(ref.value.startsWith(baseUrl + '/') ? ref.value.slice(baseUrl.length + 1) : ref.value)
    if (!conditional) continue
    const found = await resolve(conditional[1], conditional[2])
    if (found.length !== 1) {
      throw preconditionFailed(`Conditional reference ${ref.value} matches ${found.length === 0 ? 'no' : 'more than one'} ${conditional[1]}`, ref.path)
    }
    ref.holder.reference = found[0]
  }
}

/**
 * Type/id of what `Type?criteria` names among the stored resources and those the Bundle writes
 * (http.html#trules resolves conditional references after the writes): a stored resource the
 * Bundle replaces or deletes counts as the Bundle leaves it. Each criteria is looked up once per
 * transaction (a Synthea Bundle names the same Practitioner hundreds of times).
 */
function conditionalResolver(plans: Planned[], tx: ResourceStore, baseUrl: string) {
  const replaced = new Set(
    plans.filter((p) => p.target && !p.existing && ['DELETE', 'PUT'].includes(p.entry.request.method)).map((p) => p.target!),
  )
  const written = plans.filter((p) => p.target && !p.existing && p.entry.request.method !== 'DELETE' && p.entry.resource)
  const cache = new Map<string, Promise<string[]>>()
  return (type: string, criteria: string) => {
    const key = `${type}?${criteria}`
    let found = cache.get(key)
    if (!found) {
      found = (async () => {
        const { matches } = await findConditional(tx, type, criteria, { baseUrl })
        const out = new Set(matches.map((m) => `${type}/${m.id}`).filter((t) => !replaced.has(t)))
        for (const p of written) {
          if (p.entry.resource!.resourceType === type && meetsCriteria({ ...p.entry.resource!, id: p.target!.split('/')[1] } as Resource, key)) out.add(p.target!)
        }
        return [...out]
      })()
      cache.set(key, found)
    }
    return found
  }
}

/** Update targets that do not exist yet (update-as-create), found with one query for the Bundle. */
async function absentUpdateTargets(plans: Planned[], tx: ResourceStore): Promise<Set<string>> {
  const targets = plans.filter((p) => p.entry.route.interaction === 'update' && p.target).map((p) => p.target!)
  if (targets.length === 0) return new Set()
  const existing = await tx.existing(targets)
  return new Set(targets.filter((t) => !existing.has(t)))
}

/** Entries that certainly create: a plain POST, or a PUT to an id known to be absent. */
function batchable(plan: Planned, absent: Set<string>): boolean {
  const { route, request } = plan.entry
  if (route.interaction === 'create') return !plan.existing && plan.target !== undefined
  return route.interaction === 'update' && absent.has(plan.target!) && request.headers.ifMatch === undefined
}

async function createTogether(group: Planned[], ctx: InteractionContext, pending: Set<string>, out: Map<Planned, FhirResponse>) {
  if (group.length < 2) return
  const prepared: PreparedCreate[] = []
  for (const plan of group) {
    const { entry } = plan
    const put = entry.route.interaction === 'update'
    const resource = put ? (entry.resource as Resource) : stripId(entry.resource as Resource)
    try {
      const opts = { pending, path: `${entry.path}.resource`, id: plan.target!.split('/')[1], method: put ? ('PUT' as const) : ('POST' as const) }
      prepared.push(await prepareCreate(ctx, ctx.store, resource, opts))
    } catch (err) {
      throw rebase(err, entry.path)
    }
  }
  const responses = await createPrepared(ctx, ctx.store, prepared)
  // An id that exists after all (a concurrent writer) is left to the ordinary path.
  group.forEach((plan, i) => responses[i] && out.set(plan, responses[i]!))
}

async function execute(plan: Planned, ctx: InteractionContext, pending: Set<string>, absent: Set<string>): Promise<FhirResponse> {
  const { entry } = plan
  const { request, route } = entry
  const opts = { pending, path: `${entry.path}.resource` }
  const resource = entry.resource as Resource
  const id = plan.target?.split('/')[1]
  switch (route.interaction) {
    case 'create':
      return plan.existing ?? createVersion(ctx, ctx.store, stripId(resource), { ...opts, id })
    case 'update':
      return updateResource(ctx, resource, id!, request.headers.ifMatch, { ...opts, absent: absent.has(plan.target!), ifNoneMatch: request.headers.ifNoneMatch })
    case 'conditional-update':
      return plan.target && resource.id === undefined && !(await ctx.store.read(resource.resourceType, id!))
        ? createVersion(ctx, ctx.store, resource, { ...opts, id })
        : conditionalUpdateResource(ctx, { ...resource, id: resource.id ?? id }, request.query, request.headers.ifMatch, { ...opts, ifNoneMatch: request.headers.ifNoneMatch })
    case 'delete':
    case 'conditional-delete':
      return id ? deleteResource(ctx, route.params.type!, id, request.headers.ifMatch) : HANDLERS['conditional-delete'](request, ctx, route.params)
    case 'patch':
    case 'conditional-patch':
      return patchResource(ctx, route.params.type!, id!, patchDocument(request), request.headers.ifMatch)
    default:
      return HANDLERS[route.interaction as keyof typeof HANDLERS](request, ctx, route.params)
  }
}

function stripId(resource: Resource): Resource {
  const { id: _ignored, ...rest } = resource
  return rest as Resource
}

function parametersBody(body: unknown): Resource | undefined {
  return (body as Resource | undefined)?.resourceType === 'Parameters' ? (body as Resource) : undefined
}
