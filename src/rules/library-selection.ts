// Which version of a CQL library the rules run (library.html, references.html#canonical):
//   - the newest active version of the PlanDefinition that uses the library (the intake's for
//     eligibility) decides through its `library` canonical: `url|version` pins that version,
//     `url` alone follows the library's newest active version;
//   - a pin is honoured only while that version is held and active: a draft is not ready for
//     use and a retired one has been withdrawn (publication-status), so then, and without a
//     PlanDefinition, the newest active version is used;
//   - draft and retired versions are never chosen; versions are ordered by versions.ts.
import { compareVersions } from './versions.js'

/** A stored Library version: which resource holds it, and its status. */
export interface LibraryVersion {
  /** Library resource id and version id, so a changed body under the same version is noticed */
  id: string
  versionId: string
  version: string
  status: string
}

/** A stored version of the PlanDefinition that names the library. */
export interface PlanVersion {
  version: string
  status: string
  library: string[]
}

export interface Selection {
  url: string
  version: string
  /** the Library resource holding it */
  held: LibraryVersion
  /** the PlanDefinition version that decided, when one did */
  plan?: string
}

const newest = <T extends { version: string }>(list: T[]) => list.reduce<T | undefined>((best, x) => (!best || compareVersions(x.version, best.version) > 0 ? x : best), undefined)

export function selectLibrary(url: string, libraries: LibraryVersion[], plans: PlanVersion[] = []): Selection | undefined {
  const active = libraries.filter((l) => l.status === 'active' && l.version)
  const plan = newest(plans.filter((p) => p.status === 'active'))
  const named = plan?.library.find((c) => c === url || c.startsWith(`${url}|`))
  const pin = named?.includes('|') ? named.slice(url.length + 1) : undefined
  const held = (pin !== undefined ? active.find((l) => l.version === pin) : undefined) ?? newest(active)
  if (!held) return undefined
  return { url, version: held.version, held, ...(named ? { plan: plan!.version } : {}) }
}
