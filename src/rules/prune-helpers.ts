// cql-execution picks a function overload at run time by type-testing every candidate, and
// FHIRHelpers has ~250 overloads of ToString: most of an evaluation went there (cql-spike.md §6.7,
// measured again here). So an evaluation gets a copy of FHIRHelpers holding only the signatures
// its libraries call (ELM FunctionRef.signature, present at signatureLevel Overloads).
import { FHIR_HELPERS } from './fhir-helpers.js'
import type { ElmLibrary } from './elm.js'

interface FunctionRef {
  type: 'FunctionRef'
  name: string
  libraryName?: string
  signature?: { name?: string; type?: string }[]
}

interface FunctionDef {
  type?: string
  name: string
  operand?: { operandTypeSpecifier?: { name?: string }; operandType?: string }[]
}

const signatureKey = (name: string, types: (string | undefined)[]) => `${name}(${types.join(',')})`

function refsIn(node: unknown, out: FunctionRef[] = []): FunctionRef[] {
  if (Array.isArray(node)) for (const n of node) refsIn(n, out)
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>
    if (o.type === 'FunctionRef') out.push(o as unknown as FunctionRef)
    for (const v of Object.values(o)) refsIn(v, out)
  }
  return out
}

/** `elms` with FHIRHelpers (if among them) cut down to the functions reachable from the others. */
export function pruneFhirHelpers(elms: ElmLibrary[]): ElmLibrary[] {
  const helpers = elms.find((e) => e.library.identifier.id === FHIR_HELPERS.name)
  if (!helpers) return elms
  const wanted = new Set<string>() // signature keys, or bare names when a call carries no signature
  const want = (ref: FunctionRef) => wanted.add(ref.signature ? signatureKey(ref.name, ref.signature.map((s) => s.name)) : ref.name)
  for (const elm of elms) {
    if (elm === helpers) continue
    const aliases = new Set((elm.library.includes?.def ?? []).filter((d) => d.path === FHIR_HELPERS.name).map((d) => d.localIdentifier))
    for (const ref of refsIn(elm.library.statements)) if (ref.libraryName && aliases.has(ref.libraryName)) want(ref)
  }
  const defs = (helpers.library.statements?.def ?? []) as FunctionDef[]
  const keyOf = (d: FunctionDef) => signatureKey(d.name, (d.operand ?? []).map((o) => o.operandTypeSpecifier?.name ?? o.operandType))
  const kept = new Set<FunctionDef>()
  // Helpers call helpers (ToConcept → ToCode): follow calls inside the library until nothing is added.
  for (let grew = true; grew; ) {
    grew = false
    for (const d of defs) {
      if (kept.has(d) || d.type !== 'FunctionDef' || !(wanted.has(keyOf(d)) || wanted.has(d.name))) continue
      kept.add(d)
      grew = true
      for (const ref of refsIn(d)) if (!ref.libraryName) want(ref)
    }
  }
  const statements = defs.filter((d) => d.type !== 'FunctionDef' || kept.has(d))
  const pruned: ElmLibrary = { library: { ...helpers.library, statements: { def: statements as never } } }
  return elms.map((e) => (e === helpers ? pruned : e))
}
