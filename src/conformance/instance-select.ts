/**
 * Finds the values of a resource (plain JSON) that a profile's element
 * definition applies to, with their FHIRPath locations.
 *
 * An element id such as "Patient.identifier:nhsNumber.value" becomes steps
 * (identifier, filtered by the nhsNumber slice's discriminator; then value),
 * walked from the root: "Patient.identifier[1].value". Choice elements
 * ("Goal.target.due[x]") match the one JSON key present ("dueDate") and are
 * located by that key (json.html#choice). Primitive extensions (`_x`) are not
 * walked: CaseHub profiles constrain no element inside them.
 */
import { isPrimitiveType } from '@medplum/core'

/** One segment of an element id. */
export interface Step {
  /** The element name without [x] ("identifier", "due"). */
  name: string
  choice: boolean
  /** For a slice: whether an item belongs to it (its discriminators match). */
  inSlice?: (item: unknown) => boolean
}

export interface FoundNode {
  value: unknown
  /** FHIRPath location, e.g. "Patient.identifier[1].value". */
  location: string
  /** The FHIR type of a choice value, from its key ("valueMoney" -> "Money"). */
  choiceType?: string
}

type JsonObject = Record<string, unknown>

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The type named by a choice key's suffix: "Date" -> "date", "Money" -> "Money". */
export function choiceTypeOf(suffix: string): string {
  const lower = suffix.charAt(0).toLowerCase() + suffix.slice(1)
  return isPrimitiveType(lower) ? lower : suffix
}

/** The JSON keys of a choice element present in an object, e.g. ["dueDate"] for due[x]. */
export function choiceKeys(object: JsonObject, name: string): string[] {
  return Object.keys(object).filter((key) => key.length > name.length && key.startsWith(name) && /[A-Z]/.test(key[name.length]))
}

/** The values of one step below one node (array items each with their index). */
export function childNodes(node: FoundNode, step: Step): FoundNode[] {
  const object = node.value
  if (!isObject(object)) return []
  const keys = step.choice ? choiceKeys(object, step.name) : [step.name]
  const result: FoundNode[] = []
  for (const key of keys) {
    const value = object[key]
    if (value === undefined || value === null) continue
    const location = `${node.location}.${key}`
    const choiceType = step.choice ? choiceTypeOf(key.slice(step.name.length)) : undefined
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        if (item !== null && item !== undefined && (!step.inSlice || step.inSlice(item))) {
          result.push({ value: item, location: `${location}[${index}]`, choiceType })
        }
      })
    } else if (!step.inSlice || step.inSlice(value)) {
      result.push({ value, location, choiceType })
    }
  }
  return result
}

/** All the nodes reached from `root` by following `steps`. */
export function selectNodes(root: FoundNode, steps: readonly Step[]): FoundNode[] {
  let nodes = [root]
  for (const step of steps) {
    const next: FoundNode[] = []
    for (const node of nodes) next.push(...childNodes(node, step))
    nodes = next
    if (nodes.length === 0) break
  }
  return nodes
}

/** Reads a discriminator path ("system", "$this", "code.coding") below an item, as JSON. */
export function valuesAtPath(item: unknown, path: string): unknown[] {
  if (path === '$this') return [item]
  let values: unknown[] = [item]
  for (const name of path.split('.')) {
    const next: unknown[] = []
    for (const value of values) {
      const child = isObject(value) ? value[name] : undefined
      if (Array.isArray(child)) next.push(...child)
      else if (child !== undefined) next.push(child)
    }
    values = next
  }
  return values
}
