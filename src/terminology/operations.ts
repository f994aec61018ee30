// The terminology operations over local content, as pure functions from a Parameters resource
// (and, for instance-level calls such as ValueSet/{id}/$expand, the stored resource) to the
// operation's output. The HTTP layer turns query strings and bodies into Parameters.
//   ValueSet/$expand           valueset-operation-expand.html
//   ValueSet/$validate-code    valueset-operation-validate-code.html
//   CodeSystem/$validate-code  codesystem-operation-validate-code.html
//   CodeSystem/$lookup         codesystem-operation-lookup.html
//   CodeSystem/$subsumes       codesystem-operation-subsumes.html
import type { CodeSystem, Coding, Parameters, ParametersParameter, ValueSet, ValueSetExpansionParameter } from '@medplum/fhirtypes'
import { badRequest, notFound, notSupported } from '../errors.js'
import { LocalCodeSystem } from './code-system.js'
import { expandValueSet } from './expand.js'
import { lookupConcept } from './lookup.js'
import { OperationInput, outputParameters } from './parameters.js'
import { subsumption } from './subsumes.js'
import type { TerminologyIndex } from './terminology-index.js'
import { validateCodeableConcept, validateInCodeSystem, validateInValueSet, type CodeInput, type ValidateResult } from './validate-code.js'

/** $expand inputs accepted and echoed but not acted on (flat expansions, one language). */
const ECHOED_AS_TEXT = ['excludeNested', 'displayLanguage']

export function expandOperation(index: TerminologyIndex, params: Parameters | undefined, target?: ValueSet): ValueSet {
  const input = new OperationInput(params, '$expand')
  if (input.has('context')) throw notSupported('$expand: the context parameter is not supported; give url or valueSet', 'context')
  const vs = resolveValueSet(index, input, target, '$expand')
  const opts = {
    filter: input.string('filter'),
    offset: input.integer('offset'),
    count: input.integer('count'),
    activeOnly: input.boolean('activeOnly'),
    includeDesignations: input.boolean('includeDesignations'),
  }
  // Echo what shaped the expansion, typed (GET gives text): valueset-operation-expand.html
  const echo: ValueSetExpansionParameter[] = []
  for (const [name, value] of Object.entries(opts)) {
    if (typeof value === 'string') echo.push({ name, valueString: value })
    if (typeof value === 'number') echo.push({ name, valueInteger: value })
    if (typeof value === 'boolean') echo.push({ name, valueBoolean: value })
  }
  for (const name of ECHOED_AS_TEXT) {
    const value = input.string(name)
    if (value !== undefined) echo.push({ name, valueString: value })
  }
  return expandValueSet(index, vs, { ...opts, echo })
}

export function validateCodeOperation(index: TerminologyIndex, type: 'ValueSet' | 'CodeSystem', params: Parameters | undefined, target?: ValueSet | CodeSystem): Parameters {
  const op = `${type}/$validate-code`
  const input = new OperationInput(params, op)
  const abstract = input.boolean('abstract')
  const code = codeInput(input, op, type === 'CodeSystem' ? 'version' : 'systemVersion')
  let check: (c: CodeInput) => ValidateResult
  if (type === 'ValueSet') {
    if (input.has('context')) throw notSupported(`${op}: the context parameter is not supported; give url or valueSet`, 'context')
    const vs = resolveValueSet(index, input, target as ValueSet | undefined, op)
    check = (c) => validateInValueSet(index, vs, c, { abstract })
  } else {
    const system = code.kind === 'codeableConcept' ? undefined : code.inputs[0].system
    const cs = resolveCodeSystem(index, input, target as CodeSystem | undefined, op, system)
    check = (c) => validateInCodeSystem(cs, c, { abstract })
  }
  const r = code.kind === 'codeableConcept' ? validateCodeableConcept(code.cc, check) : check(code.inputs[0])
  const out: ParametersParameter[] = [{ name: 'result', valueBoolean: r.result }]
  if (r.message) out.push({ name: 'message', valueString: r.message })
  if (r.display !== undefined) out.push({ name: 'display', valueString: r.display })
  return outputParameters(out)
}

export function lookupOperation(index: TerminologyIndex, params: Parameters | undefined, target?: CodeSystem): Parameters {
  const input = new OperationInput(params, '$lookup')
  const coding = input.coding('coding')
  const code = input.string('code')
  if (!coding === !code) throw badRequest('$lookup: give either code (with system) or coding', code ? 'coding' : 'code')
  const system = coding?.system ?? input.string('system') ?? target?.url
  if (!system) throw badRequest('$lookup: a code needs a system', 'system')
  const cs = localSystem(index, system, coding?.version ?? input.string('version'), target, coding ? 'coding' : 'system', '$lookup')
  const concept = cs.find(coding?.code ?? code!)
  if (!concept) throw notFound(`$lookup: unknown code '${coding?.code ?? code}' in CodeSystem ${cs.url}`, coding ? 'coding' : 'code')
  return lookupConcept(cs, concept, input.strings('property'))
}

export function subsumesOperation(index: TerminologyIndex, params: Parameters | undefined, target?: CodeSystem): Parameters {
  const input = new OperationInput(params, '$subsumes')
  const side = (letter: 'A' | 'B') => {
    const coding = input.coding(`coding${letter}`)
    const code = input.string(`code${letter}`)
    if (!coding === !code) throw badRequest(`$subsumes: give either code${letter} or coding${letter}`, `code${letter}`)
    return { coding, code: coding?.code ?? code!, where: coding ? `coding${letter}` : `code${letter}` }
  }
  const [a, b] = [side('A'), side('B')]
  const systems = new Set([a.coding?.system, b.coding?.system, input.string('system'), target?.url].filter((s): s is string => !!s))
  if (systems.size > 1) throw badRequest(`$subsumes: both codes must be in the same system (got ${[...systems].join(', ')})`, 'system')
  const system = [...systems][0]
  if (!system) throw badRequest('$subsumes: a system is required', 'system')
  const cs = localSystem(index, system, input.string('version') ?? a.coding?.version ?? b.coding?.version, target, 'system', '$subsumes')
  const hierarchy = cs.resource.hierarchyMeaning
  if (hierarchy && hierarchy !== 'is-a') throw notSupported(`$subsumes: CodeSystem ${cs.url} has a '${hierarchy}' hierarchy, which does not mean subsumption`, 'system')
  const known = (s: { code: string; where: string }) => {
    const concept = cs.find(s.code)
    if (!concept) throw badRequest(`$subsumes: unknown code '${s.code}' in CodeSystem ${cs.url}`, s.where)
    return concept.code
  }
  return outputParameters([{ name: 'outcome', valueCode: subsumption(cs, known(a), known(b)) }])
}

function resolveValueSet(index: TerminologyIndex, input: OperationInput, target: ValueSet | undefined, op: string): ValueSet {
  if (target) return target
  const inline = input.resource<ValueSet>('valueSet', 'ValueSet')
  if (inline) return inline
  const url = input.string('url')
  if (!url) throw badRequest(`${op}: give url or valueSet (or call it on a ValueSet instance)`, 'url')
  const vs = index.valueSet(url, input.string('valueSetVersion'))
  if (!vs) throw notFound(`${op}: ValueSet ${url}${input.has('valueSetVersion') ? ` version ${input.string('valueSetVersion')}` : ''} is not known to this server`, 'url')
  return vs
}

function resolveCodeSystem(index: TerminologyIndex, input: OperationInput, target: CodeSystem | undefined, op: string, system?: string): LocalCodeSystem {
  const inline = target ?? input.resource<CodeSystem>('codeSystem', 'CodeSystem')
  if (inline) return index.codeSystem(inline.url ?? '', inline.version) ?? new LocalCodeSystem(inline)
  const url = input.string('url') ?? system
  if (!url) throw badRequest(`${op}: give url, codeSystem, or a coding with a system`, 'url')
  return localSystem(index, url, input.string('version'), undefined, 'url', op)
}

function localSystem(index: TerminologyIndex, url: string, version: string | undefined, target: CodeSystem | undefined, where: string, op: string): LocalCodeSystem {
  if (target && (target.url === url || !url)) return index.codeSystem(target.url ?? '', target.version) ?? new LocalCodeSystem(target)
  const cs = index.codeSystem(url, version)
  if (cs) return cs
  if (version && index.hasCodeSystem(url)) throw notFound(`${op}: version '${version}' of CodeSystem ${url} is not known to this server`, 'version')
  throw notFound(`${op}: CodeSystem ${url} is not held by this server (only CaseHub's local CodeSystems are)`, where)
}

type CodeArg = { kind: 'code' | 'coding'; inputs: CodeInput[] } | { kind: 'codeableConcept'; cc: NonNullable<ReturnType<OperationInput['codeableConcept']>> }

/** Exactly one of code (+system, version, display), coding or codeableConcept. */
function codeInput(input: OperationInput, op: string, versionParam: string): CodeArg {
  const given = ['code', 'coding', 'codeableConcept'].filter((n) => input.has(n))
  if (given.length !== 1) throw badRequest(`${op}: give exactly one of code, coding or codeableConcept`, given[1] ?? 'code')
  if (given[0] === 'codeableConcept') return { kind: 'codeableConcept', cc: input.codeableConcept('codeableConcept')! }
  if (given[0] === 'coding') {
    const c: Coding = input.coding('coding')!
    return { kind: 'coding', inputs: [{ system: c.system, version: c.version, code: c.code!, display: c.display ?? input.string('display') }] }
  }
  const system = input.string('system') ?? (op.startsWith('CodeSystem') ? input.string('url') : undefined)
  return { kind: 'code', inputs: [{ system, version: input.string(versionParam), code: input.string('code')!, display: input.string('display') }] }
}
