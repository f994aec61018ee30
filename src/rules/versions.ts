// The order of artifact versions (a Library's or a PlanDefinition's `version`), semver-like:
// dot-separated parts compared numerically when both are numbers ("0.10.0" after "0.9.0"),
// as text otherwise, and a pre-release ("1.0.0-beta") before its release (semver.org §11).
// FHIR leaves the version format open (resource.html#versions, "version"), so anything else
// still gets a stable order.
export function compareVersions(a: string, b: string): number {
  const [mainA, preA] = splitPre(a)
  const [mainB, preB] = splitPre(b)
  const main = compareParts(mainA, mainB)
  if (main !== 0) return main
  if (preA === undefined || preB === undefined) return preA === preB ? 0 : preA === undefined ? 1 : -1
  return compareParts(preA, preB, true)
}

function splitPre(v: string): [string, string | undefined] {
  const text = v.split('+')[0] // build metadata does not order (semver.org §10)
  const dash = text.indexOf('-')
  return dash < 0 ? [text, undefined] : [text.slice(0, dash), text.slice(dash + 1)]
}

/** A missing part counts as 0 in a release ("1.0" = "1.0.0") and as less in a pre-release (semver.org §11.4.4). */
function compareParts(a: string, b: string, pre = false): number {
  const pa = a.split('.')
  const pb = b.split('.')
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (pre && (pa[i] === undefined || pb[i] === undefined)) return pa[i] === undefined ? -1 : 1
    const x = pa[i] ?? '0'
    const y = pb[i] ?? '0'
    const nx = /^\d+$/.test(x)
    const ny = /^\d+$/.test(y)
    const c = nx && ny ? Number(x) - Number(y) : nx ? -1 : ny ? 1 : x < y ? -1 : x > y ? 1 : 0
    if (c !== 0) return Math.sign(c)
  }
  return 0
}
