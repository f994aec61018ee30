/**
 * Compiles a profile's snapshot, once, into the checks that differ from the
 * base R4 definition of its type (the base rules are checked by the server's
 * base validation): changed cardinalities, slice cardinalities, fixed and
 * pattern values, added invariants, narrowed choice types and reference
 * targets, required bindings to other ValueSets, and extensions with a
 * definition of their own. profiling.html#snapshot, profiling.html#slicing,
 * profiling.html#discriminator.
 */
import { deepEquals, deepIncludes, getElementDefinitionTypeName } from '@medplum/core'
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes'
import { CORE_BASE, coreElement } from './core-definitions.js'
import { type Step, valuesAtPath } from './instance-select.js'

interface At {
  /** The element's id in the profile, for messages and tests. */
  elementId: string
  /** Steps from the root to the element's values. */
  steps: Step[]
}

export type ProfileRule =
  /** `steps` lead to the parents; `step` selects the counted values below each parent. */
  | (At & { kind: 'cardinality'; step: Step; name: string; min: number; max: number; maxText: string; sliceName?: string })
  | (At & { kind: 'value'; fixed?: unknown; pattern?: unknown })
  | (At & { kind: 'invariant'; key: string; human: string; expression: string; severity: 'error' | 'warning'; type: string })
  | (At & { kind: 'choice'; name: string; allowed: string[] })
  | (At & { kind: 'reference'; allowed: string[] })
  | (At & { kind: 'binding'; valueSet: string; type: string })
  | (At & { kind: 'extension'; url: string })

export interface ProfilePlan {
  url: string
  type: string
  rules: ProfileRule[]
}

const VALUE_KEY = /^(fixed|pattern)[A-Z]/

function valueOf(element: ElementDefinition, prefix: 'fixed' | 'pattern'): unknown {
  for (const [key, value] of Object.entries(element)) if (key.startsWith(prefix) && VALUE_KEY.test(key)) return value
  return undefined
}

function isCoreSource(source: string | undefined): boolean {
  return !source || source.startsWith('http://hl7.org/fhir/')
}

/** The type a FHIRPath invariant sees for a value of this element. */
function typeName(element: ElementDefinition, rootType: string, isRoot: boolean): string {
  if (isRoot) return rootType
  const code = element.type?.length === 1 ? element.type[0].code ?? '' : ''
  if (code === 'BackboneElement' || code === 'Element') return getElementDefinitionTypeName(element)
  if (code === 'http://hl7.org/fhirpath/System.String') return 'string'
  return code
}

export function compileProfile(sd: StructureDefinition): ProfilePlan {
  const elements = sd.snapshot?.element ?? []
  if (!sd.url || !sd.type || elements.length === 0) throw new Error(`${sd.url ?? sd.id}: not a profile with a snapshot`)
  const byId = new Map(elements.map((element) => [element.id ?? '', element]))
  const stepsCache = new Map<string, Step[]>()

  /** The slice filter of "X.y:slice": all discriminators of X.y's slicing match (profiling.html#discriminator). */
  function sliceMatcher(slicedId: string, sliceId: string): (item: unknown) => boolean {
    const sliced = byId.get(slicedId)
    const slice = byId.get(sliceId)
    const tests = (sliced?.slicing?.discriminator ?? []).map(({ type, path = '$this' }) => {
      if (type !== 'value' && type !== 'pattern') throw new Error(`${sd.url}#${sliceId}: ${type} discriminators are not supported`)
      const extensionUrl = slice?.type?.[0]?.code === 'Extension' ? slice.type[0].profile?.[0] : undefined
      if (path === 'url' && extensionUrl) return (item: unknown) => valuesAtPath(item, 'url').includes(extensionUrl)
      const target = path === '$this' ? slice : byId.get(`${sliceId}.${path}`)
      const fixed = target && valueOf(target, 'fixed')
      const pattern = target && valueOf(target, 'pattern')
      if (fixed === undefined && pattern === undefined) throw new Error(`${sd.url}#${sliceId}: no fixed or pattern value at ${path}`)
      return (item: unknown) =>
        valuesAtPath(item, path).some((value) => (fixed !== undefined ? deepEquals(value, fixed) : deepIncludes(value, pattern)))
    })
    return (item) => tests.every((test) => test(item))
  }

  function stepsOf(id: string): Step[] {
    const cached = stepsCache.get(id)
    if (cached) return cached
    const segments = id.split('.')
    const steps: Step[] = []
    let prefix = segments[0]
    for (const segment of segments.slice(1)) {
      const [name, sliceName] = segment.split(':')
      const unsliced = `${prefix}.${name}`
      prefix = `${prefix}.${segment}`
      steps.push({
        name: name.replace('[x]', ''),
        choice: name.endsWith('[x]'),
        inSlice: sliceName ? sliceMatcher(unsliced, prefix) : undefined,
      })
    }
    stepsCache.set(id, steps)
    return steps
  }

  const rules: ProfileRule[] = []
  elements.forEach((element, index) => {
    const id = element.id ?? ''
    const steps = stepsOf(id)
    const at = { elementId: id, steps }
    const core = coreElement(element.base?.path ?? element.path ?? '')
    const isRoot = index === 0
    const max = element.max === '*' || element.max === undefined ? Infinity : Number(element.max)
    if (!isRoot && (element.min !== element.base?.min || element.max !== element.base?.max)) {
      const last = steps[steps.length - 1]
      rules.push({
        kind: 'cardinality', elementId: id, steps: steps.slice(0, -1), step: last, name: last.name + (last.choice ? '[x]' : ''),
        min: element.min ?? 0, max, maxText: element.max ?? '*', sliceName: element.sliceName,
      })
    }
    const fixed = valueOf(element, 'fixed')
    const pattern = valueOf(element, 'pattern')
    if (fixed !== undefined || pattern !== undefined) rules.push({ kind: 'value', ...at, fixed, pattern })
    for (const constraint of element.constraint ?? []) {
      if (isCoreSource(constraint.source) || !constraint.expression) continue
      rules.push({
        kind: 'invariant', ...at, key: constraint.key ?? '', human: constraint.human ?? '', expression: constraint.expression,
        severity: constraint.severity === 'warning' ? 'warning' : 'error', type: typeName(element, sd.type!, isRoot),
      })
    }
    const codes = (element.type ?? []).map((type) => type.code ?? '')
    if (element.path?.endsWith('[x]') && core && codes.length < (core.type?.length ?? 0)) {
      rules.push({ kind: 'choice', elementId: id, steps: steps.slice(0, -1), name: steps[steps.length - 1].name, allowed: codes })
    }
    const targets = element.type?.find((type) => type.code === 'Reference')?.targetProfile ?? []
    const coreTargets = core?.type?.find((type) => type.code === 'Reference')?.targetProfile ?? []
    if (targets.length > 0 && targets.join() !== coreTargets.join() && targets.every((t) => t.startsWith(CORE_BASE))) {
      rules.push({ kind: 'reference', ...at, allowed: targets.map((t) => t.slice(CORE_BASE.length)) })
    }
    const binding = element.binding
    if (binding?.strength === 'required' && binding.valueSet && binding.valueSet !== core?.binding?.valueSet) {
      rules.push({ kind: 'binding', ...at, valueSet: binding.valueSet.split('|')[0], type: codes[0] ?? '' })
    }
    const extensionProfile = element.type?.[0]?.code === 'Extension' ? element.type[0].profile?.[0] : undefined
    if (extensionProfile && element.sliceName) rules.push({ kind: 'extension', ...at, url: extensionProfile })
  })
  return { url: sd.url, type: sd.type, rules }
}
