// Compiled ELM by `url|version`. Sources are registered first (so includes can be found by CQL
// name and version); each is compiled on first use, or taken as given when its ELM was already
// compiled (a stored Library's application/elm+json). ELM is immutable once cached and shared by
// every evaluation (cql-spike.md §5).
import type { ElmLibrary } from './elm.js'
import { includesOf } from './elm.js'
import type { LibrarySource } from './library-source.js'
import { loadedTranslator, loadTranslator } from './load-translator.js'
import { compareVersions } from './versions.js'

const key = (url: string, version: string) => `${url}|${version}`

/** `url|version` (references.html#canonical) as its parts; the version is absent without a bar. */
export function splitCanonical(canonical: string): { url: string; version?: string } {
  const bar = canonical.indexOf('|')
  return bar < 0 ? { url: canonical } : { url: canonical.slice(0, bar), version: canonical.slice(bar + 1) }
}

export class LibraryCache {
  private readonly sources = new Map<string, LibrarySource>()
  private readonly elms = new Map<string, ElmLibrary>()
  /** where an uploaded source came from (`Library/id/_history/n`); none for CaseHub's own */
  private readonly origins = new Map<string, string>()
  /** increases whenever a source is added or replaced; prepared evaluations compare it */
  generation = 0

  /** Registers a source; a changed text under the same url|version drops what was compiled. */
  add(source: LibrarySource, elm?: ElmLibrary, origin?: string): void {
    const k = key(source.url, source.version)
    const before = this.sources.get(k)
    if (before && before.cql !== source.cql) {
      // Anything that included the old text is stale too; recompiling is cheap next to a mistake.
      this.elms.clear()
      loadedTranslator()?.forgetCompiledIncludes()
    }
    this.sources.set(k, source)
    if (elm) this.elms.set(k, elm)
    if (origin) this.origins.set(k, origin)
    this.generation++
  }

  /** The stored Library version a source was read from, if it was uploaded. */
  origin(url: string, version: string): string | undefined {
    return this.origins.get(key(url, version))
  }

  /** The source of `url` at `version`, or its highest version when none is given. */
  source(url: string, version?: string): LibrarySource | undefined {
    if (version) return this.sources.get(key(url, version))
    return this.latest([...this.sources.values()].filter((s) => s.url === url))
  }

  /** An include: by CQL name (and version, when the include names one). */
  byName(name: string, version?: string): LibrarySource | undefined {
    const named = [...this.sources.values()].filter((s) => s.name === name)
    return version ? named.find((s) => s.version === version) : this.latest(named)
  }

  /**
   * Resolves once elm() can answer for every source held: the translator is loaded when any of
   * them has no ELM yet (load-translator.ts). Without one to compile, nothing is loaded.
   */
  async ready(): Promise<void> {
    if ([...this.sources.keys()].some((k) => !this.elms.has(k))) await loadTranslator()
  }

  /** The library's ELM, compiling it (and, through the translator, its includes) if needed: after ready(). */
  elm(url: string, version?: string): ElmLibrary {
    const source = this.source(url, version)
    if (!source) throw new Error(`No CQL library ${url}${version ? `|${version}` : ''}`)
    const k = key(source.url, source.version)
    let elm = this.elms.get(k)
    if (!elm) {
      const translator = loadedTranslator()
      if (!translator) throw new Error(`${source.url}|${source.version} has no ELM and the CQL translator is not loaded (await LibraryCache.ready() first)`)
      elm = translator.compileCql(source.cql, (name, v) => this.byName(name, v)?.cql).elm
      const id = elm.library.identifier
      if (id.id !== source.name || id.version !== source.version) {
        throw new Error(`${source.url}|${source.version} holds CQL library ${id.id} version '${id.version}'`)
      }
      this.elms.set(k, elm)
    }
    return elm
  }

  /** The library and everything it includes, transitively, each once. */
  closure(url: string, version?: string): ElmLibrary[] {
    const out = new Map<string, ElmLibrary>()
    const visit = (source: LibrarySource) => {
      const k = key(source.url, source.version)
      if (out.has(k)) return
      const elm = this.elm(source.url, source.version)
      out.set(k, elm)
      for (const inc of includesOf(elm)) {
        const dep = this.byName(inc.name, inc.version)
        if (!dep) throw new Error(`${source.name} includes ${inc.name} ${inc.version ?? ''}, which is not loaded`)
        visit(dep)
      }
    }
    const root = this.source(url, version)
    if (!root) throw new Error(`No CQL library ${url}${version ? `|${version}` : ''}`)
    visit(root)
    return [...out.values()]
  }

  private latest(list: LibrarySource[]): LibrarySource | undefined {
    return list.sort((a, b) => compareVersions(a.version, b.version)).at(-1)
  }
}
