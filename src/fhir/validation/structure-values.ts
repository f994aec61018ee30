// Reading element values from plain JSON the way medplum's typed crawler does: the first JSON
// key present decides the type, and a primitive's `_x` extension is merged into its value.
import { isEmpty } from '@medplum/core'
import type { ElementKey, ElementPlan } from './structure-plans.js'

/**
 * Copies the keys of a primitive's `_x` object onto its value, as medplum
 * does, without changing the input: onto a copy of an object, or onto a
 * String/Number/Boolean wrapper of a primitive (Object.assign throws where
 * medplum's does, e.g. for index keys on a string).
 */
export function assignExtension(target: unknown, extension: unknown): unknown {
  if (!extension) return target
  if (typeof extension !== 'object') throw new Error('Primitive extension must be an object')
  const keys: Record<string, unknown> = {}
  for (const key of Object.keys(extension)) {
    if (key !== '__proto__' && key !== 'constructor') keys[key] = (extension as Record<string, unknown>)[key]
  }
  if (target === undefined || target === null) return Object.assign({}, keys)
  if (typeof target !== 'object') return Object.assign(Object(target), keys)
  return Object.assign(Array.isArray(target) ? target.slice() : { ...target }, keys)
}

/** The value of an element with its `_x` extension merged in, as medplum's property access returns it. */
export function mergeExtension(value: unknown, extension: unknown): unknown {
  if (Array.isArray(value)) {
    const result = value.slice()
    const length = Math.max(value.length, (extension as unknown[]).length)
    for (let i = 0; i < length; i++) result[i] = assignExtension(result[i], (extension as unknown[])[i])
    return result
  }
  if (!value && Array.isArray(extension)) {
    return extension.map((item) => assignExtension(undefined, item))
  }
  return assignExtension(value, extension)
}

export interface FoundValue {
  key: ElementKey
  /** The value, with the `_x` extension merged in; undefined when absent or empty. */
  value: unknown
}

/** Reads an element of an object like medplum's getTypedPropertyValue: the first key present decides. */
export function readElement(object: any, element: ElementPlan): FoundValue | undefined {
  if (!object) return undefined
  const keys = element.keys
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    const value = object[key.key]
    const extension = object[key.extensionKey]
    if (value === undefined && extension === undefined) continue
    const merged = extension ? mergeExtension(value, extension) : value
    return isEmpty(merged) ? undefined : { key, value: merged }
  }
  return undefined
}

/** `name.exists()` in medplum's FHIRPath, for an element of an object: some values, none of them empty. */
export function exists(object: unknown, element: ElementPlan | undefined): boolean {
  if (!element || !object || typeof object !== 'object') return false
  const found = readElement(object, element)
  if (!found) return false
  if (!Array.isArray(found.value)) return true
  let count = 0
  for (const item of found.value) {
    if (item === undefined) continue
    if (isEmpty(item)) return false
    count++
  }
  return count > 0
}

/** True when the value is an object that has none of the keys of one of the groups. */
export function isMetWithout(value: unknown, groups: string[][]): boolean {
  if (!value || typeof value !== 'object') return false
  for (const keys of groups) {
    let absent = true
    for (const key of keys) {
      if ((value as Record<string, unknown>)[key] !== undefined) {
        absent = false
        break
      }
    }
    if (absent) return true
  }
  return false
}
