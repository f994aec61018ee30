// Runs compiled ELM with cql-execution over one patient's FHIR data (cql-exec-fhir). Built once and
// reused: the cql.Library per library version and terminology, and one PatientSource per process,
// whose construction parses the 2 MB model info (~200 ms, cql-spike.md §5). The PatientSource holds
// the patient being evaluated, so evaluations take turns; each is CPU-bound on this thread anyway.
// It loads cql-execution and cql-exec-fhir (about half a second), so the server imports it on
// first use (index.ts).
import type { Bundle } from '@medplum/fhirtypes'
import cql from 'cql-execution'
import cqlfhir from 'cql-exec-fhir'
import type { TerminologyIndex } from '../terminology/index.js'
import { casehubLibraryCache } from './casehub-libraries.js'
import { codeServiceFor, codeServiceJson, type CodeServiceJson } from './code-service.js'
import { retrievedTypes, valueSetsOf, type ElmLibrary } from './elm.js'
import { splitCanonical, type LibraryCache } from './library-cache.js'
import { pruneFhirHelpers } from './prune-helpers.js'

interface Prepared {
  key: string
  library: InstanceType<typeof cql.Library>
  codeService: InstanceType<typeof cql.CodeService>
  retrieves: Set<string>
}

export type CqlResults = Record<string, unknown>

export class RuleEvaluator {
  private readonly prepared = new Map<string, Prepared>()
  private patientSource: InstanceType<typeof cqlfhir.PatientSource> | undefined
  private turn: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly libraries: LibraryCache,
    private readonly terminology: () => TerminologyIndex,
  ) {}

  // Libraries are named by canonical: `url|version` for that version, `url` for the newest held.

  /**
   * What another thread needs to evaluate the library: its ELM and its includes' (FHIRHelpers
   * pruned, main library first) and the codes of the value sets they use. Plain data.
   */
  portable(canonical: string): { elms: ElmLibrary[]; valueSets: CodeServiceJson } {
    const { url, version } = splitCanonical(canonical)
    const source = this.libraries.source(url, version)
    if (!source) throw new Error(`No CQL library ${canonical}`)
    const elms = pruneFhirHelpers(this.libraries.closure(source.url, source.version))
    return { elms, valueSets: codeServiceJson(this.terminology(), elms.flatMap(valueSetsOf)) }
  }

  /** Resource types the library (with its includes) retrieves: what to fetch for a patient. */
  dataRequirements(canonical: string): Set<string> {
    return this.prepare(canonical).retrieves
  }

  /**
   * Evaluates every define of the library for the single patient in `bundle`. Parameters are
   * passed by name to the library and its includes; `executionDateTime` fixes Now()/Today().
   */
  async evaluate(canonical: string, bundle: Bundle, parameters: Record<string, unknown>, executionDateTime?: Date): Promise<CqlResults> {
    await this.libraries.ready()
    const { library, codeService } = this.prepare(canonical)
    const run = async () => {
      this.patientSource ??= cqlfhir.PatientSource.FHIRv401()
      const source = this.patientSource
      source.reset() // also drops the previous patient's bundle (cql-spike.md §6.5)
      source.loadBundles([bundle])
      try {
        const executor = new cql.Executor(library, codeService, parameters)
        const when = executionDateTime ? cql.DateTime.fromJSDate(executionDateTime, 0) : undefined
        const results = await executor.exec(source, when)
        const [patient] = Object.values(results.patientResults) as CqlResults[]
        if (!patient) throw new Error('The bundle has no Patient to evaluate')
        return patient
      } finally {
        source.reset()
      }
    }
    const result = this.turn.then(run, run)
    this.turn = result.catch(() => undefined)
    return result
  }

  private prepare(canonical: string): Prepared {
    const index = this.terminology()
    const { url, version } = splitCanonical(canonical)
    const source = this.libraries.source(url, version)
    if (!source) throw new Error(`No CQL library ${canonical}`)
    const key = `${source.url}|${source.version}|${this.libraries.generation}|${terminologyKey(index)}`
    const cached = this.prepared.get(source.url + '|' + source.version)
    if (cached?.key === key) return cached
    const elms = pruneFhirHelpers(this.libraries.closure(source.url, source.version))
    const [main] = elms
    const repository = new cql.Repository(Object.fromEntries(elms.map((e) => [e.library.identifier.id, e])))
    const prepared: Prepared = {
      key,
      library: new cql.Library(main, repository),
      codeService: codeServiceFor(index, elms.flatMap(valueSetsOf)),
      retrieves: new Set(elms.flatMap((e: ElmLibrary) => [...retrievedTypes(e)])),
    }
    this.prepared.set(source.url + '|' + source.version, prepared)
    return prepared
  }
}

// Index objects are replaced or bumped when terminology changes; both make a new key.
const indexIds = new WeakMap<TerminologyIndex, number>()
let nextIndexId = 0
function terminologyKey(index: TerminologyIndex): string {
  let id = indexIds.get(index)
  if (id === undefined) indexIds.set(index, (id = nextIndexId++))
  return `${id}.${index.generation}`
}

/** An evaluator over the shared cache; `terminology` is read on each use (it may change). */
export function createEvaluator(terminology: () => TerminologyIndex): RuleEvaluator {
  return new RuleEvaluator(casehubLibraryCache(), terminology)
}
