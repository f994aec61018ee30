// The one place a resource version is written: stamps meta, checks references, stores.
import type { Resource } from '@medplum/fhirtypes'
import { randomUUID } from 'node:crypto'
import { conflict } from '../errors.js'
import type { NewVersion, ResourceStore, StoredVersion } from '../store/types.js'
import { assertReferencesExist } from './references.js'
import { applySearchParameter, checkSearchParameter } from './search/custom-parameters.js'
import { extractIndex } from './search/extract.js'
import { registerCanonical, unregisterCanonical } from './conformance/canonical-registry.js'
import { assertCanonicalFree, assertWritable } from './conformance/read-only.js'
import { markApplied } from './conformance/follow-changes.js'
import { hasCreatedHooks, queueChangeHooks, queueCreatedHooks, runCommittedHooks, runWriteChecks } from './write-hooks.js'
import type { FhirResponse, InteractionContext } from './types.js'
import { now, stamp, versionResponse } from './versioning.js'

export interface WriteOptions {
  /** Type/id keys created in the same transaction (strict reference checks accept them) */
  pending?: Set<string>
  /** Where the resource sits in the request, for error locations */
  path?: string
  /** installing CaseHub's own conformance resources, which the API may not change */
  install?: boolean
}

/** Once the write commits, this process starts using a new SearchParameter, profile or ValueSet. */
function applyAfterCommit(store: ResourceStore, type: string, id: string, body: Resource | null) {
  store.afterCommit(() => {
    if (body) {
      markApplied(body)
      applySearchParameter(body)
      registerCanonical(body)
      runCommittedHooks(body)
    } else unregisterCanonical(type, id)
  })
}

async function checkReferences(ctx: InteractionContext, store: ResourceStore, resource: Resource, opts: WriteOptions) {
  if (ctx.referencePolicy === 'strict') {
    await assertReferencesExist(store, resource as unknown as Record<string, unknown>, ctx.baseUrl, opts.pending, opts.path)
  }
}

type CreateOptions = WriteOptions & { id?: string; method?: 'POST' | 'PUT' }

/** Checks a new resource and turns it into the version the store writes. */
export async function prepareCreate(ctx: InteractionContext, store: ResourceStore, resource: Resource, opts: CreateOptions) {
  await checkReferences(ctx, store, resource, opts)
  checkSearchParameter(resource, opts.path)
  // CaseHub's own resources were checked when they were built (e.g. their CQL compiled)
  const remarks = opts.install ? [] : await runWriteChecks(resource, opts.path ?? resource.resourceType)
  const id = opts.id ?? randomUUID()
  if (!opts.install) assertCanonicalFree(resource, id, opts.path)
  const lastUpdated = now()
  const body = stamp(resource, id, 1, lastUpdated)
  const json = JSON.stringify(body)
  const version: NewVersion = {
    resourceType: resource.resourceType, id, versionId: 1, lastUpdated, method: opts.method ?? 'POST', json, index: extractIndex(body, ctx.baseUrl),
  }
  return { version, body, remarks }
}

function created(ctx: InteractionContext, store: ResourceStore, { version, body, remarks }: PreparedCreate): FhirResponse {
  applyAfterCommit(store, version.resourceType, version.id, body)
  if (hasCreatedHooks(version.resourceType)) queueCreatedHooks(body, { ...ctx, store })
  const v = { resourceType: version.resourceType, id: version.id, versionId: '1', lastUpdated: version.lastUpdated }
  const response = versionResponse(201, v, ctx.baseUrl, version.json!, true)
  return remarks.length ? { ...response, issues: remarks } : response
}

/** Creates version 1 with a new server id (or the given id for update-as-create). */
export async function createVersion(ctx: InteractionContext, store: ResourceStore, resource: Resource, opts: CreateOptions = {}): Promise<FhirResponse> {
  // A create with hooks runs in a transaction, so what the hooks write commits with it
  if (hasCreatedHooks(resource.resourceType)) return store.transaction((tx) => insertOne({ ...ctx, store: tx }, tx, resource, opts))
  return insertOne(ctx, store, resource, opts)
}

async function insertOne(ctx: InteractionContext, store: ResourceStore, resource: Resource, opts: CreateOptions): Promise<FhirResponse> {
  const prepared = await prepareCreate(ctx, store, resource, opts)
  if (!(await store.insert(prepared.version))) throw conflict(`${resource.resourceType}/${prepared.version.id} already exists`)
  return created(ctx, store, prepared)
}

export type PreparedCreate = Awaited<ReturnType<typeof prepareCreate>>

/**
 * Writes several prepared creates with one statement (the entries of a transaction that
 * create): the responses in input order, undefined where the id turned out to exist already
 * (the caller then takes the ordinary path for that one).
 */
export async function createPrepared(ctx: InteractionContext, store: ResourceStore, prepared: PreparedCreate[]): Promise<(FhirResponse | undefined)[]> {
  const inserted = await store.insertMany(prepared.map((p) => p.version))
  return prepared.map((p) => (inserted.has(`${p.version.resourceType}/${p.version.id}`) ? created(ctx, store, p) : undefined))
}

/** Writes the next version over `current` (held locked by the caller); `resource` null deletes. */
export async function nextVersion(
  ctx: InteractionContext,
  store: ResourceStore,
  current: StoredVersion,
  resource: Resource | null,
  method: 'PUT' | 'PATCH' | 'DELETE',
  opts: WriteOptions = {},
): Promise<{ response: FhirResponse; versionId: string }> {
  if (!opts.install) assertWritable(current.resourceType, current.id)
  if (resource) {
    await checkReferences(ctx, store, resource, opts)
    checkSearchParameter(resource, opts.path)
    if (!opts.install) await runWriteChecks(resource, opts.path ?? resource.resourceType)
    if (!opts.install) assertCanonicalFree(resource, current.id, opts.path)
  }
  const versionId = Number(current.versionId) + 1
  const lastUpdated = now()
  const body = resource ? stamp(resource, current.id, versionId, lastUpdated) : null
  const json = body ? JSON.stringify(body) : null
  const index = body ? extractIndex(body, ctx.baseUrl) : undefined
  await store.replace({ resourceType: current.resourceType, id: current.id, versionId, lastUpdated, method, json, index })
  applyAfterCommit(store, current.resourceType, current.id, body)
  queueChangeHooks(current.resourceType, current.id, current.json, body, { ...ctx, store })
  const v = { resourceType: current.resourceType, id: current.id, versionId: String(versionId), lastUpdated }
  // A write over a deleted resource brings it back: that is a create (201) in http.html#update terms.
  const status = current.deleted ? 201 : 200
  return { response: versionResponse(status, v, ctx.baseUrl, json ?? undefined, resource !== null), versionId: v.versionId }
}
