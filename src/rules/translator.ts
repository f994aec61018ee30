// CQL → ELM in process with the HL7 reference translator (@cqframework/cql, the Kotlin build).
// Building the FHIR model takes about a second, so one ModelManager lives for the process and one
// LibraryManager caches compiled includes (FHIRHelpers) between compilations
// (cql-spike.md §5: cold 2.5 s, warm 0.1–0.4 s).
import {
  CqlCompilerOptions,
  CqlTranslator,
  createLibrarySourceProvider,
  createModelInfoProvider,
  LibraryBuilder,
  LibraryManager,
  ModelManager,
  stringAsSource,
} from '@cqframework/cql/cql-to-elm'
import { SystemModelInfoProvider } from '@cqframework/cql/cql'
import { fhirModelInfoXml } from './model-info.js'
import { ucumService } from './ucum.js'
import { CqlCompileError, issuesOf, type CqlIssue } from './compile-issues.js'
import type { ElmLibrary } from './elm.js'

/** CQL text of an included library, by name and version (CQL §"Libraries"); undefined if unknown. */
export type IncludeResolver = (name: string, version: string | undefined) => string | undefined

export interface Compiled {
  elm: ElmLibrary
  warnings: CqlIssue[]
}

let modelManager: ModelManager | undefined
let libraryManager: LibraryManager | undefined
let resolveInclude: IncludeResolver = () => undefined

function manager(): LibraryManager {
  if (libraryManager) return libraryManager
  if (!modelManager) {
    modelManager = new ModelManager()
    // The System model info is bundled; it only has to be registered (cql-spike.md §6.1).
    modelManager.modelInfoLoader.registerModelInfoProvider(new SystemModelInfoProvider(), true)
    modelManager.modelInfoLoader.registerModelInfoProvider(
      createModelInfoProvider((id: string, _system?: string | null, version?: string | null) =>
        id === 'FHIR' && (!version || version === '4.0.1') ? stringAsSource(fhirModelInfoXml()) : null,
      ),
    )
  }
  // A new CqlCompilerOptions starts empty: no annotations or locators, half the ELM (§6.3). List
  // promotion/demotion stay off so a list where a single value is expected is an error.
  const options = new CqlCompilerOptions()
  options.setOptions([CqlCompilerOptions.Options.DisableListDemotion, CqlCompilerOptions.Options.DisableListPromotion])
  // Every call carries its operand types, so FHIRHelpers can be cut to the overloads in use
  // (prune-helpers.ts); at the default level implicit conversions carry none.
  options.signatureLevel = LibraryBuilder.SignatureLevel.All
  libraryManager = new LibraryManager(modelManager, options, null, ucumService())
  libraryManager.librarySourceLoader.registerProvider(
    createLibrarySourceProvider((name: string, _system?: string | null, version?: string | null) => {
      const text = resolveInclude(name, version ?? undefined)
      return text === undefined ? null : stringAsSource(text)
    }),
  )
  return libraryManager
}

/**
 * The Kotlin runtime prints a line to stdout when its logging starts; stdout carries the
 * server's JSON logs, so whatever the translator prints goes to stderr instead.
 */
function printingToStderr<T>(run: () => T): T {
  const log = console.log
  console.log = (...args: unknown[]) => void process.stderr.write(`${args.map(String).join(' ')}\n`)
  try {
    return run()
  } finally {
    console.log = log
  }
}

/** Drops the compiled includes, e.g. after the text of a library version changed. */
export function forgetCompiledIncludes(): void {
  libraryManager = undefined
}

/**
 * Compiles one library. Throws CqlCompileError listing every error with its line and column:
 * the translator returns ELM even when there are errors, and cql-execution would run the
 * defines that survived (cql-spike.md §6.6), so ELM with errors is never handed out.
 */
export function compileCql(cql: string, includes: IncludeResolver): Compiled {
  resolveInclude = includes // compilation is synchronous, so the provider sees this call's resolver
  try {
    const translator = printingToStderr(() => CqlTranslator.fromText(cql, manager()))
    const elm = JSON.parse(translator.toJson()) as ElmLibrary
    const issues = issuesOf(elm, translator.errors.asJsReadonlyArrayView().map((e) => e.message ?? String(e)))
    const errors = issues.filter((i) => i.severity === 'error')
    if (errors.length) throw new CqlCompileError(errors)
    return { elm, warnings: issues.filter((i) => i.severity !== 'error') }
  } finally {
    resolveInclude = () => undefined
  }
}
