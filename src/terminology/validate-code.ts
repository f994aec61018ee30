// $validate-code (valueset-operation-validate-code.html, codesystem-operation-validate-code.html,
// R4). R4 defines `result` as "true if the concept details supplied are valid": a display that
// is not a display of the code makes the result false, with the right display returned.
import type { CodeableConcept, ValueSet } from '@medplum/fhirtypes'
import type { LocalCodeSystem } from './code-system.js'
import { entryKey, type Entry } from './concept-set.js'
import type { TerminologyIndex } from './terminology-index.js'

export interface CodeInput {
  system?: string
  version?: string
  code: string
  display?: string
}

export interface ValidateResult {
  result: boolean
  message?: string
  display?: string
}

export interface ValidateOptions {
  /** $validate-code `abstract`: false refuses notSelectable (grouping) concepts */
  abstract?: boolean
}

const SNOMED = 'http://snomed.info/sct'

export function validateInValueSet(index: TerminologyIndex, vs: ValueSet, input: CodeInput, opts: ValidateOptions = {}): ValidateResult {
  const set = index.conceptSet(vs)
  const name = vs.url ?? vs.id ?? 'the value set'
  let system = input.system
  if (!system) {
    // R4 asks for a system with a code; infer it when the code is unambiguous in the value set
    const matches = [...set.entries.values()].filter((e) => e.code === input.code)
    if (matches.length !== 1) {
      return { result: false, message: matches.length ? `The code '${input.code}' is in value set ${name} in more than one system; give the system` : `The code '${input.code}' is not in value set ${name} (no system given)` }
    }
    system = matches[0].system
  }
  const cs = index.codeSystem(system)
  if (cs && input.version && !index.codeSystem(system, input.version)) {
    return { result: false, message: `Version '${input.version}' of CodeSystem ${system} is not known to this server` }
  }
  const entry = set.entries.get(entryKey(system, input.code)) ?? (cs?.find(input.code) ? set.entries.get(entryKey(system, cs.find(input.code)!.code)) : undefined)
  if (entry) return checkEntry(entry, input, cs, opts)
  if (set.has(system, input.code)) {
    return { result: true, message: `CodeSystem ${system} is not held by this server, so the code '${input.code}' itself was not checked` }
  }
  if (cs && !cs.find(input.code)) return { result: false, message: `Unknown code '${input.code}' in CodeSystem ${system}` }
  return { result: false, message: `The code '${input.code}' from system ${system} is not in value set ${name}` }
}

export function validateInCodeSystem(cs: LocalCodeSystem, input: CodeInput, opts: ValidateOptions = {}): ValidateResult {
  if (input.system && input.system !== cs.url) {
    return { result: false, message: `The system ${input.system} is not the CodeSystem ${cs.url}` }
  }
  if (input.version && cs.version && input.version !== cs.version) {
    return { result: false, message: `Version '${input.version}' of CodeSystem ${cs.url} is not known to this server (it holds ${cs.version})` }
  }
  const concept = cs.find(input.code)
  if (!concept) return { result: false, message: `Unknown code '${input.code}' in CodeSystem ${cs.url}` }
  return checkEntry({ system: cs.url, code: concept.code, display: concept.display, inactive: concept.inactive, abstract: concept.abstract, designation: concept.designation }, input, cs, opts)
}

/** A CodeableConcept is valid when one of its codings is (R4: codeableConcept input). */
export function validateCodeableConcept(cc: CodeableConcept, check: (input: CodeInput) => ValidateResult): ValidateResult {
  const results = (cc.coding ?? []).filter((c) => c.code).map((c) => check({ system: c.system, version: c.version, code: c.code!, display: c.display }))
  if (!results.length) return { result: false, message: 'The CodeableConcept has no coding with a code' }
  const valid = results.find((r) => r.result)
  if (valid) return valid
  return { result: false, message: results.map((r) => r.message).join('; '), display: results.find((r) => r.display)?.display }
}

function checkEntry(entry: Entry, input: CodeInput, cs: LocalCodeSystem | undefined, opts: ValidateOptions): ValidateResult {
  const display = entry.display ?? cs?.find(entry.code)?.display
  const out: ValidateResult = { result: true }
  if (display !== undefined) out.display = display
  if (opts.abstract === false && entry.abstract) {
    return { ...out, result: false, message: `The code '${entry.code}' is abstract (notSelectable) and cannot be used here` }
  }
  if (input.display !== undefined && display !== undefined) {
    const allowed = [display, ...(entry.designation ?? []).map((d) => d.value ?? '')]
    if (!allowed.some((d) => sameDisplay(d, input.display!, entry.system))) {
      return { ...out, result: false, message: `Wrong display '${input.display}' for ${entry.system}#${entry.code}: it should be '${display}'` }
    }
  }
  if (entry.inactive) out.message = `The code '${entry.code}' is inactive`
  return out
}

/** Displays compare case-insensitively on words; for SNOMED CT a semantic tag ("(finding)") is optional. */
function sameDisplay(a: string, b: string, system: string): boolean {
  const norm = (s: string) => {
    let t = s.trim().replace(/\s+/g, ' ').toLowerCase()
    if (system === SNOMED) t = t.replace(/ \([^()]+\)$/, '')
    return t
  }
  return norm(a) === norm(b)
}
