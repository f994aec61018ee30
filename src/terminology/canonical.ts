// Canonical references: `url|version` (references.html#canonical).
export function splitCanonical(canonical: string, version?: string): { url: string; version?: string } {
  const bar = canonical.indexOf('|')
  if (bar < 0) return { url: canonical, version: version || undefined }
  return { url: canonical.slice(0, bar), version: version || canonical.slice(bar + 1) || undefined }
}

/** Orders versions numerically where they are dotted numbers (0.10.0 after 0.9.0), else as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.')
  const pb = b.split('.')
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const [x, y] = [pa[i] ?? '', pb[i] ?? '']
    const d = /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x.localeCompare(y)
    if (d) return d
  }
  return 0
}
