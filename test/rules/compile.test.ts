// CQL → ELM in process: errors with line and column, FHIRHelpers generated from the model info,
// CaseHub's libraries as FHIR Library resources, and the ELM cache keyed by url|version.
import t from 'tap'
import {
  casehubLibraries, casehubSources, CqlCompileError, fhirHelpersCql, fromFhirLibrary, LibraryCache, sourceOf,
  CASEHUB_LIBRARY_BASE, ELIGIBILITY_LIBRARY,
} from '../../src/rules/index.js'
import { compileCql } from '../../src/rules/translator.js'
import { conversions } from '../../src/rules/model-info.js'
import { gpPractices } from '../../src/generate/practices.js'

const helpers = (name: string) => (name === 'FHIRHelpers' ? fhirHelpersCql() : undefined)

t.test('a syntax error is reported with its line and column', async (t) => {
  const cql = "library Broken version '1.0.0'\nusing FHIR version '4.0.1'\n\ndefine \"A\": 1 +\ndefine \"B\": 2\n"
  const err = t.throws(() => compileCql(cql, helpers)) as unknown as CqlCompileError
  t.type(err, CqlCompileError)
  t.ok(err.issues.length >= 1)
  // the parser stops at the second define's name: "B", line 5 column 7
  t.match(err.issues[0], { severity: 'error', library: 'Broken', line: 5, column: 7 })
  t.match(err.message, /Broken line 5:7/)
})

t.test('an unknown identifier and a missing include are errors too', async (t) => {
  const unknown = t.throws(() => compileCql("library U version '1'\nusing FHIR version '4.0.1'\ndefine X: Nope + 1\n", helpers)) as unknown as CqlCompileError
  t.match(unknown.issues[0], { line: 3, message: /Nope/ })
  const missing = t.throws(() => compileCql("library M version '1'\ninclude Absent version '2'\ndefine X: 1\n", helpers)) as unknown as CqlCompileError
  t.match(missing.issues[0], { line: 2, message: /Absent/ })
})

t.test('FHIRHelpers has one function per conversion the FHIR model info names, and compiles', async (t) => {
  const cql = fhirHelpersCql()
  t.match(cql, /^\/\/ Generated/)
  t.match(cql, /library FHIRHelpers version '4\.0\.1'/)
  const defines = cql.match(/^define function /gm) ?? []
  t.equal(defines.length, conversions().length)
  t.ok(conversions().length > 250)
  for (const c of conversions()) t.ok(cql.includes(`${c.functionName.slice('FHIRHelpers.'.length)}(`) && cql.includes(c.fromType), `${c.functionName}(${c.fromType})`)
  t.equal(fhirHelpersCql(), cql, 'deterministic')
  const { elm, warnings } = compileCql(cql, () => undefined)
  t.equal(elm.library.identifier.id, 'FHIRHelpers')
  t.same(warnings, [])
})

t.test('CaseHub libraries as FHIR Library resources with CQL and compiled ELM', async (t) => {
  const libraries = await casehubLibraries()
  t.same(libraries.map((l) => l.name), ['FHIRHelpers', 'CaseHubCommon', 'CaseHubEligibility', 'CaseHubTerminology', 'RiskStratification'])
  const eligibility = libraries.find((l) => l.url === ELIGIBILITY_LIBRARY)!
  t.equal(eligibility.version, '0.1.0')
  t.same(eligibility.content?.map((c) => c.contentType), ['text/cql', 'application/elm+json'])
  t.same(eligibility.relatedArtifact?.map((r) => r.resource), [
    `${CASEHUB_LIBRARY_BASE}FHIRHelpers|4.0.1`, `${CASEHUB_LIBRARY_BASE}CaseHubTerminology|0.1.0`, `${CASEHUB_LIBRARY_BASE}CaseHubCommon|0.1.0`,
  ])
  t.ok(eligibility.dataRequirement?.some((d) => d.type === 'Condition'))
  const back = fromFhirLibrary(eligibility)
  t.equal(back.source.cql, casehubSources().find((s) => s.name === 'CaseHubEligibility')!.cql)
  t.equal(back.elm?.library.identifier.id, 'CaseHubEligibility')
})

t.test('the ELM cache is keyed by url|version and compiles once', async (t) => {
  const cache = new LibraryCache()
  for (const s of casehubSources()) cache.add(s)
  await cache.ready() // sources without ELM: the translator is loaded
  const first = cache.elm(ELIGIBILITY_LIBRARY)
  t.equal(cache.elm(ELIGIBILITY_LIBRARY, '0.1.0'), first, 'the same ELM object')
  // A new version of a library sits beside the old one; unversioned lookups take the highest.
  const v2 = sourceOf("library CaseHubCommon version '0.2.0'\nusing FHIR version '4.0.1'\ndefine \"Version\": 2\n")
  cache.add(v2)
  t.equal(cache.elm(`${CASEHUB_LIBRARY_BASE}CaseHubCommon`).library.identifier.version, '0.2.0')
  t.equal(cache.elm(`${CASEHUB_LIBRARY_BASE}CaseHubCommon`, '0.1.0').library.identifier.version, '0.1.0')
  t.equal(cache.elm(ELIGIBILITY_LIBRARY, '0.1.0'), first, 'other entries stay')
  // Changed text under the same url|version is recompiled.
  cache.add({ ...v2, cql: v2.cql.replace('"Version": 2', '"Version": 3') })
  t.match(JSON.stringify(cache.elm(`${CASEHUB_LIBRARY_BASE}CaseHubCommon`, '0.2.0')), /"value":"3"/)
  t.throws(() => cache.elm(`${CASEHUB_LIBRARY_BASE}Nope`), /No CQL library/)
})

t.test('a library that does not compile is refused, naming line and column', async (t) => {
  const cache = new LibraryCache()
  for (const s of casehubSources()) cache.add(s)
  cache.add(sourceOf("library Bad version '1'\nusing FHIR version '4.0.1'\ninclude FHIRHelpers version '4.0.1'\ncontext Patient\ndefine \"X\": [Condition] C where C.nope = 1\n"))
  await cache.ready()
  const err = t.throws(() => cache.elm(`${CASEHUB_LIBRARY_BASE}Bad`)) as unknown as CqlCompileError
  t.type(err, CqlCompileError)
  t.match(err.issues[0], { library: 'Bad', line: 5 })
  t.type(err.issues[0].column, 'number')
})

t.test('the default practice list is the open Trafford GP practices', async (t) => {
  const cql = casehubSources().find((s) => s.name === 'CaseHubEligibility')!.cql
  const block = /"Eligible Practice ODS Codes" List<String> default \{([^}]*)\}/.exec(cql)![1]
  const listed = [...block.matchAll(/'([A-Z0-9]+)'/g)].map((m) => m[1])
  t.same(listed, gpPractices().filter((p) => p.borough === 'Trafford').map((p) => p.ods))
})

t.test('evaluations use FHIRHelpers cut to the overloads the rules call', async (t) => {
  const { pruneFhirHelpers } = await import('../../src/rules/prune-helpers.js')
  const { casehubLibraryCache } = await import('../../src/rules/index.js')
  const full = casehubLibraryCache().closure(ELIGIBILITY_LIBRARY)
  const pruned = pruneFhirHelpers(full)
  const names = (elms: typeof full) => (elms.find((e) => e.library.identifier.id === 'FHIRHelpers')!.library.statements!.def ?? []).map((d) => d.name)
  t.ok(names(full).length > 250)
  t.ok(names(pruned).includes('ToConcept') && names(pruned).includes('ToCode'), 'ToConcept and the ToCode it calls')
  t.ok(names(pruned).length < 20, `${names(pruned).length} kept`)
  t.equal(pruned.find((e) => e.library.identifier.id === 'CaseHubEligibility'), full.find((e) => e.library.identifier.id === 'CaseHubEligibility'), 'other libraries untouched')
})
