// FHIRPath Patch (fhirpatch.html): a Parameters resource whose `operation` parameters add,
// insert, delete, replace or move elements named by FHIRPath. A path is parsed by
// @medplum/core; to change an element its place (parent object, key, index) is needed, so the
// path is followed here over the JSON: `.name` (element names of the type only), `[n]`, and the
// functions where(), first(), last() and extension(url), each applied to every candidate on its own.
import { DotAtom, FhirPathAtom, FunctionAtom, IndexerAtom, LiteralAtom, parseFhirPath, SymbolAtom, toTypedValue, type Atom } from '@medplum/core'
import type { Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes'
import { badRequest, unprocessable } from '../errors.js'
import { choiceKey, elementOf } from './element-types.js'

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
  /** the resource itself (which a patch cannot replace or delete) */
  root?: boolean
}

interface Operation {
  type: 'add' | 'insert' | 'delete' | 'replace' | 'move'
  path: string
  atom: Atom
  name?: string
  value?: ParametersParameter
  index?: number
  source?: number
  destination?: number
}

const TYPES = new Set(['add', 'insert', 'delete', 'replace', 'move'])
const ELEMENT_NAME = /^[a-z][A-Za-z0-9]*$/
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v)

/** Reads the operations of a FHIRPath Patch (400 when the document itself is malformed). */
export function parseFhirPathPatch(body: Parameters): Operation[] {
  const parameters: unknown = body.parameter ?? []
  if (!Array.isArray(parameters)) throw badRequest('Parameters.parameter must be a list of operations', 'Parameters.parameter')
  return parameters.map((p, i) => {
    const where = `Parameters.parameter[${i}]`
    if (!isObject(p) || p.name !== 'operation') throw badRequest('A FHIRPath Patch holds only "operation" parameters', `${where}.name`)
    if (!Array.isArray(p.part)) throw badRequest('An operation needs its parts (type, path, …)', `${where}.part`)
    const parts = p.part.filter(isObject) as ParametersParameter[]
    const part = (name: string) => parts.find((x) => x.name === name)
    const fail = (message: string): never => {
      throw badRequest(message, `${where}.part`)
    }
    const type = part('type')?.valueCode
    if (!type || !TYPES.has(type)) fail('The operation type must be add, insert, delete, replace or move')
    const path = part('path')?.valueString
    if (typeof path !== 'string' || !path) fail(`A ${type} needs a path`)
    let atom: Atom
    try {
      atom = parseFhirPath(path!)
    } catch (err) {
      return fail(`The path ${JSON.stringify(path)} is not FHIRPath: ${(err as Error).message}`)
    }
    const integer = (name: string) => {
      const v = part(name)?.valueInteger
      return Number.isInteger(v) ? v! : fail(`A ${type} needs an integer ${name}`)
    }
    const op: Operation = { type: type as Operation['type'], path: path!, atom }
    if (type === 'add') {
      const name = part('name')?.valueString
      op.name = typeof name === 'string' && ELEMENT_NAME.test(name) ? name : fail('An add needs the name of the element to add')
    }
    if (type === 'add' || type === 'insert' || type === 'replace') {
      const value = part('value')
      op.value = value && wellFormed(value) ? value : fail(`A ${type} needs a value: value[x], a resource, or parts that each have a name and a value`)
    }
    if (type === 'insert') op.index = integer('index')
    if (type === 'move') [op.source, op.destination] = [integer('source'), integer('destination')]
    return op
  })
}

const valueKey = (p: ParametersParameter) => Object.keys(p).find((k) => k.startsWith('value') && k.length > 5)

/** A value part: value[x], a resource, or a list of named parts that are themselves values. */
function wellFormed(p: ParametersParameter, depth = 0): boolean {
  if (valueKey(p) || isObject(p.resource)) return true
  return depth < 32 && Array.isArray(p.part) && p.part.every((x) => isObject(x) && typeof x.name === 'string' && wellFormed(x, depth + 1))
}

class PatchError extends Error {}

/** Applies the operations in order to a copy of the resource; 422 when one cannot apply. */
export function applyFhirPathPatch(resource: Resource, ops: Operation[]): Resource {
  const doc = structuredClone(resource) as Json
  ops.forEach((op, i) => {
    try {
      apply(doc, op)
    } catch (err) {
      if (err instanceof PatchError) {
        throw unprocessable(`FHIRPath Patch operation ${i + 1} (${op.type} ${op.path}): ${err.message}`, `Parameters.parameter[${i}]`)
      }
      throw err
    }
  })
  return doc as Resource
}

function apply(doc: Json, op: Operation) {
  if (op.type === 'delete') {
    const slots = locate(doc, op.atom)
    if (slots.length > 1) throw new PatchError(`the path matches ${slots.length} elements; delete takes one`)
    if (slots.length === 1) remove(notRoot(slots[0]))
    return
  }
  if (op.type === 'replace') {
    const slot = notRoot(single(locate(doc, op.atom), 'replace'))
    const { json, suffix } = build(op.value!, slot.type)
    if (slot.index !== undefined) {
      splice(slot.parent, slot.key, slot.index, 1, json)
    } else {
      delete slot.parent[slot.key]
      delete slot.parent[`_${slot.key}`]
      // a choice element takes the new value's type in its name (valueQuantity → valueString)
      const choice = choiceKey(slot.parentType, slot.key)
      slot.parent[choice && suffix ? choice.base + suffix : slot.key] = json
    }
    return
  }
  if (op.type === 'add') {
    const slot = single(locate(doc, op.atom), 'add')
    const target = valueAt(slot)
    if (!isObject(target)) throw new PatchError('add needs the path to name an element with children')
    const element = elementOf(slot.type, op.name!)
    if (slot.type && !element) throw new PatchError(`${slot.type} has no element ${op.name}`)
    const { json, suffix } = build(op.value!, element?.type.length === 1 ? element.type[0].code : choiceTypeOf(op.value!, element))
    const key = element && element.type.length > 1 ? op.name! + (suffix ?? '') : op.name!
    const taken = Object.keys(target).find((k) => k === key || choiceKey(slot.type, k)?.base === op.name)
    if (element?.isArray ?? Array.isArray(target[key])) {
      if (taken !== undefined && !Array.isArray(target[key])) throw new PatchError(`${key} is not a list`)
      splice(target, key, target[key]?.length ?? 0, 0, json)
    } else if (taken !== undefined) throw new PatchError(`${op.name} already has a value (use replace)`)
    else target[key] = json
    return
  }
  const { parent, key, itemType } = listAt(doc, op.atom)
  const length = Array.isArray(parent[key]) ? parent[key].length : 0
  if (op.type === 'insert') {
    if (op.index! < 0 || op.index! > length) throw new PatchError(`index ${op.index} is outside the list (0 to ${length})`)
    splice(parent, key, op.index!, 0, build(op.value!, itemType).json)
    return
  }
  const { source, destination } = op
  if (source! < 0 || source! >= length || destination! < 0 || destination! >= length) {
    throw new PatchError(`source ${source} and destination ${destination} must be within the list (0 to ${length - 1})`)
  }
  for (const k of [key, `_${key}`]) {
    if (Array.isArray(parent[k])) parent[k].splice(destination!, 0, parent[k].splice(source!, 1)[0])
  }
}

/** The type of a choice element that a value given as value[x] has (valueDateTime → dateTime). */
function choiceTypeOf(value: ParametersParameter, element: ReturnType<typeof elementOf>): string | undefined {
  const key = valueKey(value)
  const code = key?.slice(5).toLowerCase()
  return element?.type.find((t) => t.code.toLowerCase() === code)?.code
}

function single(slots: Slot[], type: string): Slot {
  if (slots.length !== 1) throw new PatchError(`the path matches ${slots.length} elements; ${type} takes exactly one`)
  return slots[0]
}

function notRoot(slot: Slot): Slot {
  if (slot.root) throw new PatchError('the path names the whole resource')
  return slot
}

const valueAt = (s: Slot) => (s.index === undefined ? s.parent[s.key] : s.parent[s.key][s.index])

/** Splices a list and, in step, its primitive extensions list (`_given` beside `given`, json.html#primitive). */
function splice(parent: Json, key: string, start: number, deleteCount: number, ...items: unknown[]) {
  const list: unknown[] = Array.isArray(parent[key]) ? parent[key] : []
  list.splice(start, deleteCount, ...items)
  if (list.length) parent[key] = list
  else delete parent[key]
  const shadow = parent[`_${key}`]
  if (Array.isArray(shadow)) {
    shadow.splice(start, deleteCount, ...items.map(() => null))
    if (shadow.every((x) => x === null)) delete parent[`_${key}`]
  }
}

function remove(s: Slot) {
  if (s.index !== undefined) return splice(s.parent, s.key, s.index, 1)
  delete s.parent[s.key]
  delete s.parent[`_${s.key}`]
}

/** A `value` part as JSON: its value[x], its resource, or an element built from its parts. */
function build(part: ParametersParameter, type: string | undefined): { json: unknown; suffix?: string } {
  const key = valueKey(part)
  if (key) return { json: (part as Json)[key], suffix: key.slice(5) }
  if (part.resource) return { json: part.resource }
  const out: Json = {}
  for (const child of part.part ?? []) {
    const name = child?.name
    if (typeof name !== 'string' || !ELEMENT_NAME.test(name)) throw new PatchError(`a value part is named ${JSON.stringify(name)}, not an element`)
    const element = elementOf(type, name)
    if (type && !element) throw new PatchError(`${type} has no element ${name}`)
    const { json, suffix } = build(child, element?.type.length === 1 ? element.type[0].code : choiceTypeOf(child, element))
    const childKey = element && element.type.length > 1 ? name + (suffix ?? '') : name
    if (element?.isArray) (out[childKey] ??= []).push(json)
    else if (Object.hasOwn(out, childKey)) throw new PatchError(`${name} is given twice but does not repeat`)
    else out[childKey] = json
  }
  return { json: out }
}

/** The list the path names (it ends in `.name`): its parent and key, created on insert when absent. */
function listAt(doc: Json, atom: Atom): { parent: Json; key: string; itemType?: string } {
  const inner = atom instanceof FhirPathAtom ? atom.child : atom
  if (!(inner instanceof DotAtom) || !(inner.right instanceof SymbolAtom)) throw new PatchError('the path must name a list (….element)')
  const slot = single(locate(doc, inner.left), 'insert or move')
  const parent = valueAt(slot)
  const key = inner.right.name
  const element = elementOf(slot.type, key)
  if (!isObject(parent) || (slot.type && !element)) throw new PatchError(`${key} is not an element here`)
  if (parent[key] !== undefined && !Array.isArray(parent[key])) throw new PatchError(`${key} is not a list`)
  return { parent, key, itemType: element?.type.length === 1 ? element.type[0].code : undefined }
}

/** The places the path's elements occupy in `doc`. */
function locate(doc: Json, atom: Atom): Slot[] {
  if (atom instanceof FhirPathAtom) return locate(doc, atom.child)
  const root: Slot = { parent: { resource: doc }, key: 'resource', type: doc.resourceType, root: true }
  if (atom instanceof SymbolAtom) return atom.name === doc.resourceType ? [root] : children(root, atom.name)
  if (atom instanceof DotAtom && atom.right instanceof SymbolAtom) {
    const name = atom.right.name
    return locate(doc, atom.left).flatMap((s) => children(s, name))
  }
  if (atom instanceof IndexerAtom && atom.expr instanceof LiteralAtom) {
    const n = atom.expr.value.value
    const slots = locate(doc, atom.left)
    return Number.isInteger(n) && slots[n as number] ? [slots[n as number]] : []
  }
  if (atom instanceof DotAtom && atom.right instanceof FunctionAtom) return applyFunction(locate(doc, atom.left), atom.right)
  throw new PatchError(`${atom.toString()} is not a path FHIRPath Patch can follow (use .name, [n], where(), first(), last() or extension(url))`)
}

function applyFunction(candidates: Slot[], fn: FunctionAtom): Slot[] {
  switch (fn.name) {
    case 'first':
      return candidates.slice(0, 1)
    case 'last':
      return candidates.slice(-1)
    case 'where':
      if (fn.args.length !== 1) break
      return candidates.filter((s) => {
        const value = valueAt(s)
        try {
          const result = fn.args[0].eval({ variables: {} }, [s.type ? { type: s.type, value } : toTypedValue(value)])
          return result.length === 1 && result[0].value === true
        } catch (err) {
          throw new PatchError(`where() could not be evaluated: ${(err as Error).message}`)
        }
      })
    case 'extension': {
      const url = fn.args[0] instanceof LiteralAtom ? fn.args[0].value.value : undefined
      if (fn.args.length !== 1 || typeof url !== 'string') break
      return candidates.flatMap((s) => children(s, 'extension')).filter((s) => valueAt(s)?.url === url)
    }
  }
  throw new PatchError(`${fn.toString()} is not supported in a FHIRPath Patch path (where(), first(), last(), extension(url))`)
}

/** The slots of element `name` inside the element at `s` (one per item of a list; a choice by its typed name). */
function children(s: Slot, name: string): Slot[] {
  if (!ELEMENT_NAME.test(name)) throw new PatchError(`${name} is not an element name (a path starts at the resource type, e.g. Patient.name)`)
  const v = valueAt(s)
  if (!isObject(v)) return []
  const element = elementOf(s.type, name)
  if (s.type && !element) throw new PatchError(`${s.type} has no element ${name}`)
  const key = Object.hasOwn(v, name) ? name : Object.keys(v).find((k) => choiceKey(s.type, k)?.base === name)
  if (key === undefined) return []
  const type = element?.type.length === 1 ? element.type[0].code : choiceKey(s.type, key)?.type
  const slot = { parent: v, key, parentType: s.type }
  // a resource inside a resource (contained, Bundle.entry.resource …) has the type it names
  const typeOf = (item: unknown) => (type === 'Resource' && isObject(item) && typeof item.resourceType === 'string' ? item.resourceType : type)
  const value = v[key]
  return Array.isArray(value) ? value.map((item, index) => ({ ...slot, index, type: typeOf(item) })) : [{ ...slot, type: typeOf(value) }]
}
