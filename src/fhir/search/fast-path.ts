// A plain-JSON evaluator for the search parameter expressions that are simple element paths,
// which are most of R4's: "Patient.name.family", "(Observation.value as Quantity)",
// "Observation.subject.where(resolve() is Patient)", "Patient.telecom.where(system='phone')".
// It gives the same values as @medplum/core's FHIRPath (typed by the R4 element definitions)
// at a fraction of the cost; expressions outside this grammar return undefined and are
// evaluated with medplum.
import { getDataType, type TypedValue } from '@medplum/core'

/** The JSON keys an element of a given parent type is stored under, with their FHIR types. */
type ChildKeys = { key: string; type: string }[]

type Step =
  | { kind: 'child'; name: string; as?: string; byParent: Map<string, ChildKeys> }
  | { kind: 'resolveIs'; type: string }
  | { kind: 'whereEquals'; field: string; value: string }

export type FastPath = (resource: Record<string, unknown>) => TypedValue[]

const HEAD = /^([A-Z][A-Za-z]+)((?:\.[a-z][A-Za-z0-9]*)*)$/

/** Compiles `expression` for `resourceType`, or undefined when it is not a simple path. */
export function compileFastPath(expression: string, resourceType: string): FastPath | undefined {
  const members = splitUnion(expression).map((m) => parseMember(m, resourceType))
  if (members.length === 0 || members.some((m) => m === undefined)) return undefined
  const plans = members as Step[][]
  return (resource) => {
    const out: TypedValue[] = []
    for (const steps of plans) out.push(...walk(resource, resourceType, steps))
    return out
  }
}

function parseMember(raw: string, resourceType: string): Step[] | undefined {
  let text = raw.trim()
  if (text.startsWith('(') && text.endsWith(')')) text = text.slice(1, -1).trim()
  const trailing: Step[] = []
  let as: string | undefined
  const asMatch = /^(.*)\s+as\s+([A-Za-z]+)$/.exec(text) ?? /^(.*)\.as\(([A-Za-z]+)\)$/.exec(text)
  if (asMatch) {
    text = asMatch[1].trim()
    as = asMatch[2]
  }
  for (;;) {
    const resolve = /^(.*)\.where\(resolve\(\) is ([A-Z][A-Za-z]+)\)$/.exec(text)
    const equals = /^(.*)\.where\(([a-z][A-Za-z]*)\s*=\s*'([^'\\]*)'\)$/.exec(text)
    if (resolve) {
      trailing.unshift({ kind: 'resolveIs', type: resolve[2] })
      text = resolve[1]
    } else if (equals) {
      trailing.unshift({ kind: 'whereEquals', field: equals[2], value: equals[3] })
      text = equals[1]
    } else break
  }
  const m = HEAD.exec(text)
  if (!m) return undefined
  if (m[1] !== resourceType && m[1] !== 'Resource' && m[1] !== 'DomainResource') return undefined
  // "where" steps after "as" are not in R4's expressions; keep the grammar small.
  if (as && trailing.length) return undefined
  const names = m[2] ? m[2].slice(1).split('.') : []
  const steps: Step[] = names.map((name) => ({ kind: 'child', name, byParent: new Map() }) as Step)
  if (as) (steps[steps.length - 1] as { as?: string }).as = as
  return [...steps, ...trailing]
}

function walk(resource: Record<string, unknown>, resourceType: string, steps: Step[]): TypedValue[] {
  let current: TypedValue[] = [{ type: resourceType, value: resource }]
  for (const step of steps) {
    const next: TypedValue[] = []
    for (const tv of current) {
      if (step.kind === 'child') childValues(tv, step, next)
      else if (step.kind === 'resolveIs') {
        if (tv.type === 'Reference' && referenceType(tv.value?.reference) === step.type) next.push(tv)
      } else if (tv.value && typeof tv.value === 'object' && tv.value[step.field] === step.value) next.push(tv)
    }
    current = next
    if (current.length === 0) break
  }
  return current
}

function childValues(parent: TypedValue, step: Extract<Step, { kind: 'child' }>, out: TypedValue[]) {
  const obj = parent.value
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return
  let keys = step.byParent.get(parent.type)
  if (!keys) {
    keys = childKeys(parent.type, step.name, step.as)
    step.byParent.set(parent.type, keys)
  }
  for (const { key, type } of keys) push(obj[key], type, out)
}

/** Where element `name` of `parentType` lives in JSON: valueQuantity, valueString … for value[x]. */
function childKeys(parentType: string, name: string, as: string | undefined): ChildKeys {
  const elements = elementsOf(parentType)
  if (!elements) return []
  const same = (code: string) => !as || code.toLowerCase() === as.toLowerCase()
  const choice = elements[name + '[x]']
  if (choice && !elements[name]) {
    return (choice.type ?? []).filter((t) => same(t.code)).map((t) => ({ key: name + capitalize(t.code), type: t.code }))
  }
  const element = elements[name]
  if (!element) return []
  const types = element.type ?? []
  const type = as ? types.find((t) => same(t.code))?.code : types[0]?.code
  return type ? [{ key: name, type }] : []
}

function push(value: unknown, type: string, out: TypedValue[]) {
  if (value === undefined || value === null) return
  if (Array.isArray(value)) {
    for (const v of value) if (v !== null && v !== undefined) out.push({ type, value: v })
  } else out.push({ type, value })
}

const elementCache = new Map<string, Record<string, { type?: { code: string }[] }> | null>()

function elementsOf(type: string) {
  let elements = elementCache.get(type)
  if (elements === undefined) {
    try {
      elements = getDataType(type).elements as Record<string, { type?: { code: string }[] }>
    } catch {
      elements = null
    }
    elementCache.set(type, elements)
  }
  return elements
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

/** The resource type a reference string names, if it names one ("Patient/1", ".../Patient/1"). */
function referenceType(reference: unknown): string | undefined {
  if (typeof reference !== 'string') return undefined
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[^/]+)?$/.exec(reference)
  return m?.[1]
}

/** Top-level members of a FHIRPath union ("a | (b as X)"). */
export function splitUnion(expression: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quote = false
  let cur = ''
  for (const c of expression) {
    if (c === "'") quote = !quote
    if (!quote && c === '(') depth++
    if (!quote && c === ')') depth--
    if (!quote && depth === 0 && c === '|') {
      parts.push(cur.trim())
      cur = ''
    } else cur += c
  }
  if (cur.trim()) parts.push(cur.trim())
  return parts
}
