// FHIRPath Patch (fhirpatch.html): a Parameters resource whose `operation` parameters add,
// insert, delete, replace or move elements found by FHIRPath. Paths are parsed and evaluated by
// @medplum/core; to change an element its place (parent object, key, index) is needed, so the
// path's last steps — `.name`, `[n]` and functions such as where() or first() — are followed
// here over the JSON, and functions are matched to their results by identity.
import {
  DotAtom,
  FhirPathAtom,
  FunctionAtom,
  getDataType,
  IndexerAtom,
  LiteralAtom,
  parseFhirPath,
  SymbolAtom,
  toTypedValue,
  type Atom,
} from '@medplum/core'
import type { Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes'
import { badRequest, unprocessable } from '../errors.js'

type Json = Record<string, any>

/** Where an element sits: parent[key], or parent[key][index] for one item of a list. */
interface Slot {
  parent: Json
  key: string
  index?: number
  /** the element's FHIR type (for lists, of an item), when known */
  type?: string
  /** the FHIR type of `parent` */
  parentType?: string
}

interface Operation {
  type: 'add' | 'insert' | 'delete' | 'replace' | 'move'
  path: string
  atom: Atom
  name?: string
  value?: { json: unknown; typeSuffix?: string }
  index?: number
  source?: number
  destination?: number
}

const TYPES = new Set(['add', 'insert', 'delete', 'replace', 'move'])

/** Reads the operations of a FHIRPath Patch (400 when the document itself is malformed). */
export function parseFhirPathPatch(body: Parameters): Operation[] {
  return (body.parameter ?? []).map((p, i) => {
    const where = `Parameters.parameter[${i}]`
    if (p.name !== 'operation') throw badRequest(`A FHIRPath Patch holds only "operation" parameters, not "${p.name}"`, `${where}.name`)
    const part = (name: string) => p.part?.find((x) => x.name === name)
    const type = part('type')?.valueCode
    if (!type || !TYPES.has(type)) throw badRequest('operation type must be add, insert, delete, replace or move', `${where}.part`)
    const path = part('path')?.valueString
    if (!path) throw badRequest(`A FHIRPath Patch ${type} needs a path`, `${where}.part`)
    let atom: Atom
    try {
      atom = parseFhirPath(path)
    } catch (err) {
      throw badRequest(`The path ${JSON.stringify(path)} is not FHIRPath: ${(err as Error).message}`, `${where}.part`)
    }
    const integer = (name: string) => {
      const v = part(name)?.valueInteger
      if (v === undefined) throw badRequest(`A FHIRPath Patch ${type} needs an integer ${name}`, `${where}.part`)
      return v
    }
    const op: Operation = { type: type as Operation['type'], path, atom }
    if (type === 'add') op.name = part('name')?.valueString ?? missing(type, 'name', where)
    if (type === 'add' || type === 'insert' || type === 'replace') op.value = valueOf(part('value') ?? missing(type, 'value', where))
    if (type === 'insert') op.index = integer('index')
    if (type === 'move') [op.source, op.destination] = [integer('source'), integer('destination')]
    return op
  })
}

function missing(type: string, name: string, where: string): never {
  throw badRequest(`A FHIRPath Patch ${type} needs a ${name}`, `${where}.part`)
}

/** The value of a `value` part: its value[x], or an element built from its parts (complex types). */
function valueOf(part: ParametersParameter): { json: unknown; typeSuffix?: string } {
  const key = Object.keys(part).find((k) => k.startsWith('value') && k.length > 5)
  if (key) return { json: (part as Json)[key], typeSuffix: key.slice(5) }
  if (part.part?.length) return { json: fromParts(part.part) }
  if (part.resource) return { json: part.resource }
  throw badRequest('A FHIRPath Patch value needs a value[x] or parts')
}

function fromParts(parts: ParametersParameter[]): Json {
  const out: Json = {}
  for (const p of parts) {
    const { json } = valueOf(p)
    const name = p.name!
    out[name] = name in out ? [...[out[name]].flat(), json] : json
  }
  return out
}

/** Applies the operations in order to a copy of the resource; 422 when one cannot apply. */
export function applyFhirPathPatch(resource: Resource, ops: Operation[]): Resource {
  const doc = structuredClone(resource) as Json
  ops.forEach((op, i) => {
    try {
      apply(doc, op)
    } catch (err) {
      if (err instanceof PatchError) throw unprocessable(`FHIRPath Patch operation ${i + 1} (${op.type} ${op.path}): ${err.message}`, `Parameters.parameter[${i}]`)
      throw err
    }
  })
  return doc as Resource
}

class PatchError extends Error {}

function apply(doc: Json, op: Operation) {
  if (op.type === 'delete') {
    const slots = locate(doc, op.atom)
    if (slots.length > 1) throw new PatchError(`the path matches ${slots.length} elements; delete takes one`)
    if (slots.length === 1) remove(slots[0])
    return
  }
  if (op.type === 'replace') {
    const slot = single(locate(doc, op.atom), 'replace')
    put(slot, op.value!)
    return
  }
  if (op.type === 'add') {
    const slot = single(locate(doc, op.atom), 'add')
    const target = valueAt(slot)
    if (!isObject(target)) throw new PatchError('add needs the path to name an element with children')
    const name = op.name!
    const existing = target[name]
    if (Array.isArray(existing)) existing.push(op.value!.json)
    else if (existing !== undefined) throw new PatchError(`${name} already has a value (use replace)`)
    else target[name] = repeats(slot.type, name) ? [op.value!.json] : op.value!.json
    return
  }
  const { list, parent, key } = listAt(doc, op.atom)
  if (op.type === 'insert') {
    if (op.index! < 0 || op.index! > list.length) throw new PatchError(`index ${op.index} is outside the list (0 to ${list.length})`)
    list.splice(op.index!, 0, op.value!.json)
    parent[key] = list
    return
  }
  const { source, destination } = op
  if (source! < 0 || source! >= list.length || destination! < 0 || destination! >= list.length) {
    throw new PatchError(`source ${source} and destination ${destination} must be within the list (0 to ${list.length - 1})`)
  }
  list.splice(destination!, 0, list.splice(source!, 1)[0])
}

function single(slots: Slot[], type: string): Slot {
  if (slots.length !== 1) throw new PatchError(`the path matches ${slots.length} elements; ${type} takes exactly one`)
  return slots[0]
}

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v)
const valueAt = (s: Slot) => (s.index === undefined ? s.parent[s.key] : s.parent[s.key][s.index])

function remove(s: Slot) {
  if (s.index === undefined) {
    delete s.parent[s.key]
    delete s.parent[`_${s.key}`]
    return
  }
  s.parent[s.key].splice(s.index, 1)
  if (s.parent[s.key].length === 0) delete s.parent[s.key]
}

function put(s: Slot, value: { json: unknown; typeSuffix?: string }) {
  if (s.index !== undefined) {
    s.parent[s.key][s.index] = value.json
    return
  }
  // a choice element takes the new value's type in its name (valueQuantity → valueString)
  const choice = choiceOf(s)
  if (choice && value.typeSuffix) {
    delete s.parent[s.key]
    s.parent[choice + value.typeSuffix] = value.json
  } else s.parent[s.key] = value.json
}

/** The list the path names (the path ends in `.name`); created on insert when absent. */
function listAt(doc: Json, atom: Atom): { list: unknown[]; parent: Json; key: string } {
  const inner = atom instanceof FhirPathAtom ? atom.child : atom
  if (!(inner instanceof DotAtom) || !(inner.right instanceof SymbolAtom)) throw new PatchError('the path must name a list (….element)')
  const parent = valueAt(single(locate(doc, inner.left), 'insert or move'))
  if (!isObject(parent)) throw new PatchError('the path must name a list inside an element')
  const key = inner.right.name
  const list = parent[key] ?? []
  if (!Array.isArray(list)) throw new PatchError(`${key} is not a list`)
  return { list, parent, key }
}

/** The places the path's elements occupy in `doc`. */
function locate(doc: Json, atom: Atom): Slot[] {
  if (atom instanceof FhirPathAtom) return locate(doc, atom.child)
  const root: Slot = { parent: { root: doc }, key: 'root', type: doc.resourceType }
  if (atom instanceof SymbolAtom) return atom.name === doc.resourceType ? [root] : children(root, atom.name)
  if (atom instanceof DotAtom && atom.right instanceof SymbolAtom) {
    const name = atom.right.name
    return locate(doc, atom.left).flatMap((s) => children(s, name))
  }
  if (atom instanceof IndexerAtom && atom.expr instanceof LiteralAtom) {
    const n = Number(atom.expr.value.value)
    const slots = locate(doc, atom.left)
    return Number.isInteger(n) && slots[n] ? [slots[n]] : []
  }
  if (atom instanceof DotAtom && atom.right instanceof FunctionAtom) {
    // where(), first(), last(), ofType() …: which of the left side's elements the function keeps
    const candidates = locate(doc, atom.left)
    const results = atom.eval({ variables: {} }, [toTypedValue(doc)]).map((r) => r.value)
    return candidates.filter((s) => {
      const v = valueAt(s)
      const i = results.findIndex((r) => r === v || (!isObject(v) && JSON.stringify(r) === JSON.stringify(v)))
      if (i >= 0) results.splice(i, 1)
      return i >= 0
    })
  }
  throw new PatchError(`${atom.toString()} is not a path FHIRPath Patch can change (use .name, [n] and functions such as where())`)
}

/** The slots of `name` inside the element at `s` (one per item of a list; a choice by its typed name). */
function children(s: Slot, name: string): Slot[] {
  const v = valueAt(s)
  if (!isObject(v)) return []
  const key = name in v ? name : Object.keys(v).find((k) => k.startsWith(name) && /^[A-Z]/.test(k.slice(name.length)))
  if (key === undefined) return []
  const type = childType(s.type, key)
  const value = v[key]
  const slot = { parent: v, key, type, parentType: s.type }
  return Array.isArray(value) ? value.map((_, index) => ({ ...slot, index })) : [slot]
}

function elementOf(type: string | undefined, name: string) {
  if (!type) return undefined
  try {
    const elements = getDataType(type).elements
    return elements[name] ?? elements[`${name}[x]`]
  } catch {
    return undefined
  }
}

function childType(type: string | undefined, key: string): string | undefined {
  const element = elementOf(type, key)
  if (element) return element.type.length === 1 ? element.type[0].code : undefined
  const base = choiceBase(type, key)
  const suffix = base && key.slice(base.length).toLowerCase()
  return base ? elementOf(type, base)!.type.find((t) => t.code.toLowerCase() === suffix)?.code : undefined
}

function choiceBase(type: string | undefined, key: string): string | undefined {
  const m = /^([a-z][A-Za-z]*?)[A-Z]/.exec(key)
  return m && elementOf(type, m[1]) && elementOf(type, m[1])!.type.length > 1 ? m[1] : undefined
}

const choiceOf = (s: Slot) => choiceBase(s.parentType, s.key)

function repeats(type: string | undefined, name: string): boolean {
  return elementOf(type, name)?.isArray ?? false
}
