// The resource meta operations (resource-operations.html):
//  - $meta at [base], [type] and [type]/[id]: the profiles, tags and security labels in use (on
//    the system, on the type), or the resource's meta;
//  - $meta-add and $meta-delete at [type]/[id]: profiles (matched by URL), tags and security
//    labels (matched by system and code; version and display ignored) added or removed as sets.
//    They are special in not making a new version: the current version's meta changes in place,
//    with its _tag / _profile / _security index rows, and versionId and ETag stay as they were.
//    No write hooks run (no version is created, so no Subscription hears of it, and the ETag a
//    client holds stays current), so a profile held here, which validation and CaseHub's
//    workflows follow (a referral's intake), is added or removed only by an update: 422 here.
//    The resource with its new meta passes the same gate as a write.
//  - all three also on a version, [type]/[id]/_history/[vid]/$meta…: "This operation can also be
//    used on historical entries - to update them without creating a different historical
//    version" (Resource-meta-add). An earlier version's history row changes; the index follows
//    the current version only.
import type { Coding, Meta, Parameters, Resource } from '@medplum/fhirtypes'
import { badRequest, conflict, gone, unprocessable } from '../../errors.js'
import { resolveCanonical } from '../conformance/canonical-registry.js'
import { assertWritable } from '../conformance/read-only.js'
import { requireResource } from '../incoming.js'
import { extractIndex } from '../search/extract.js'
import { resourceTypes } from '../validation/index.js'
import type { FhirResponse, InteractionContext } from '../types.js'
import { checkIfMatch } from '../versioning.js'
import { registerOperation, type OperationInput } from './registry.js'

const RESOURCE_META = 'http://hl7.org/fhir/OperationDefinition/Resource-meta'
/** at most this many profiles, tags and security labels each in a type's or the system's $meta */
const IN_USE_LIMIT = 1000

export function registerMetaOperations(): void {
  registerOperation({
    code: 'meta',
    definition: RESOURCE_META,
    resourceTypes: 'all',
    system: true,
    type: true,
    instance: true,
    version: true,
    affectsState: false,
    inputs: [],
    run: meta,
  })
  for (const [code, change] of [['meta-add', add], ['meta-delete', remove]] as const) {
    registerOperation({
      code,
      definition: `${RESOURCE_META}-${code.slice(5)}`,
      resourceTypes: 'all',
      system: false,
      type: false,
      instance: true,
      version: true,
      affectsState: true,
      inputs: [{ name: 'meta', type: 'Meta' }],
      run: (input, ctx) => changeMeta(input, ctx, change),
    })
  }
}

const answer = (value: Meta): FhirResponse => ({
  status: 200,
  body: { resourceType: 'Parameters', parameter: [{ name: 'return', valueMeta: value }] },
})

async function meta(input: OperationInput, ctx: InteractionContext): Promise<FhirResponse> {
  if (input.target) return answer(input.target.meta ?? {})
  const inUse = await ctx.store.metaInUse(input.resourceType ? [input.resourceType] : resourceTypes(), IN_USE_LIMIT)
  return answer({
    ...(inUse.profiles.length ? { profile: inUse.profiles } : {}),
    ...(inUse.tags.length ? { tag: inUse.tags } : {}),
    ...(inUse.security.length ? { security: inUse.security } : {}),
  })
}

type Change = (current: Meta, given: Meta) => Meta

/** A tag's or security label's identity: system and code (version and display are ignored). */
const codeKey = (c: Coding) => `${c.system ?? ''}|${c.code}`

/** `current` and then what `given` adds, each identity once (linear: lists may be long). */
function union<T>(current: T[] | undefined, given: T[] | undefined, key: (item: T) => string): T[] {
  const seen = new Set<string>()
  const out: T[] = []
  for (const item of [...(current ?? []), ...(given ?? [])]) {
    if (seen.has(key(item))) continue
    seen.add(key(item))
    out.push(item)
  }
  return out
}

function without<T>(current: T[] | undefined, given: T[] | undefined, key: (item: T) => string): T[] {
  const removed = new Set((given ?? []).map(key))
  return (current ?? []).filter((item) => !removed.has(key(item)))
}

const same = (p: string) => p

const add: Change = (current, given) => ({
  ...current,
  profile: union(current.profile, given.profile, same),
  tag: union(current.tag, given.tag, codeKey),
  security: union(current.security, given.security, codeKey),
})

const remove: Change = (current, given) => ({
  ...current,
  profile: without(current.profile, given.profile, same),
  tag: without(current.tag, given.tag, codeKey),
  security: without(current.security, given.security, codeKey),
})

/** Whether a profile (url or url|version, any version) is one this server holds. */
const isHeld = (profile: string) => !!resolveCanonical('StructureDefinition', profile.split('|')[0])

/** Empty lists go: FHIR JSON has no empty arrays (json.html). */
function tidy(value: Meta): Meta {
  const out: Meta = { ...value }
  for (const key of ['profile', 'tag', 'security'] as const) if (out[key]?.length === 0) delete out[key]
  return out
}

async function changeMeta(input: OperationInput, ctx: InteractionContext, change: Change): Promise<FhirResponse> {
  const given = metaInput(input.parameters)
  const type = input.resourceType!
  const id = input.id!
  assertWritable(type, id)
  return ctx.store.transaction(async (tx) => {
    const current = await tx.readForUpdate(type, id)
    if (input.versionId !== undefined && input.versionId !== current?.versionId) {
      // an earlier version: its history row changes in place; search indexes the current one only
      const version = await tx.vread(type, id, input.versionId)
      if (!version?.json || version.deleted) throw gone(`${type}/${id}/_history/${input.versionId} is a deletion`)
      const { json, next } = changed(version.json, given, change, type)
      if (json !== version.json && !(await tx.rewriteHistory(type, id, version.versionId, json))) {
        throw conflict(`${type}/${id}/_history/${input.versionId} changed while its meta was being updated; try again`)
      }
      return answer(next)
    }
    if (!current?.json || current.deleted) throw gone(`${type}/${id} was deleted while its meta was being updated`)
    checkIfMatch(input.request.headers.ifMatch, current)
    const { body, json, next } = changed(current.json, given, change, type)
    if (json !== current.json && !(await tx.rewriteCurrent(type, id, current.versionId, json, extractIndex(body, ctx.baseUrl)))) {
      throw conflict(`${type}/${id} changed while its meta was being updated; try again`)
    }
    return answer(next)
  })
}

/** The stored body `json` with `change` applied to its meta, checked as a write would be. */
function changed(stored: string, given: Meta, change: Change, type: string): { body: Resource; json: string; next: Meta } {
  const resource = JSON.parse(stored) as Resource
  const next = tidy(change(resource.meta ?? {}, given))
  const before = resource.meta?.profile ?? []
  const after = next.profile ?? []
  const held = [...after.filter((p) => !before.includes(p)), ...before.filter((p) => !after.includes(p))].filter(isHeld)
  if (held.length) {
    throw unprocessable(`${held.join(', ')} is a profile held here: claim or drop it with an update (PUT or PATCH), so that validation and the workflows that follow it run`, 'meta')
  }
  const body = { ...resource, meta: next } as Resource
  requireResource(body, type)
  return { body, json: JSON.stringify(body), next }
}

/** The `meta` input: a Meta whose profiles are URLs and whose tags and security labels carry a code. */
function metaInput(parameters: Parameters): Meta {
  const all = parameters.parameter ?? []
  const index = all.findIndex((p) => p.name === 'meta')
  if (index < 0) throw badRequest('Parameter "meta" (valueMeta) is required', 'meta')
  if (all.some((p, i) => p.name === 'meta' && i !== index)) throw badRequest('Parameter "meta" may be given once (meta 1..1)', 'meta')
  const where = `Parameters.parameter[${index}].valueMeta`
  const value = all[index].valueMeta as unknown
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw badRequest('Parameter "meta" needs a valueMeta object', `Parameters.parameter[${index}]`)
  const given = value as Record<string, unknown>
  const profile = given.profile
  if (profile !== undefined && (!Array.isArray(profile) || profile.some((p) => typeof p !== 'string' || p.trim() === '' || /\s/.test(p)))) {
    throw badRequest('meta.profile must be a list of canonical URLs', `${where}.profile`)
  }
  for (const key of ['tag', 'security'] as const) {
    const list = given[key]
    if (list === undefined) continue
    if (!Array.isArray(list)) throw badRequest(`meta.${key} must be a list of Codings`, `${where}.${key}`)
    list.forEach((c, i) => {
      const coding = c as Record<string, unknown> | null
      if (!coding || typeof coding !== 'object' || typeof coding.code !== 'string' || coding.code.trim() === '' || (coding.system !== undefined && typeof coding.system !== 'string')) {
        throw badRequest(`meta.${key}[${i}] must be a Coding with a code (and a system)`, `${where}.${key}[${i}]`)
      }
    })
  }
  return given as Meta
}
