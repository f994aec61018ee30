// The HL7 CQL-to-ELM translator (@cqframework/cql, a Kotlin/JS build) takes over a second and
// hundreds of MB to load, and only CQL without ELM needs it: an uploaded Library being checked, a
// PlanDefinition's conditions, a stale rules/Library-*.json, `npm run rules`. CaseHub's own
// libraries run on their shipped ELM (precompiled.ts), so the translator is imported on first
// need rather than with the server. LibraryCache compiles synchronously, so whoever may hand it
// CQL without ELM loads the translator first (LibraryCache.ready()).
// (The promise is kept: each import() goes through the module loader's hooks again.)
type Translator = typeof import('./translator.js')

let loaded: Translator | undefined
let loading: Promise<Translator> | undefined

export function loadTranslator(): Promise<Translator> {
  return (loading ??= import('./translator.js').then((m) => (loaded = m)))
}

/** The translator once loadTranslator() has resolved; undefined before. */
export function loadedTranslator(): Translator | undefined {
  return loaded
}
