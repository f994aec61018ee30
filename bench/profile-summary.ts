// Summarises a V8 .cpuprofile: where the time went by package, the hottest functions by self
// time, and CaseHub's own functions (src/) by inclusive time.
//   npx tsx bench/profile-summary.ts file.cpuprofile [more.cpuprofile …]
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const IDLE = new Set(['(idle)', '(program)'])

/** node_modules/<pkg>, src/<file>, node:<module>, or the V8 pseudo-frame. */
export function packageOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)'
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nm) return nm[1]
  if (url.startsWith('node:')) return 'node (built-ins)'
  const src = /\/(src|bench)\/(.+)$/.exec(url)
  if (src) return `casehub ${src[1]}/`
  return url
}

const label = (f: CallFrame) => {
  const short = f.url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules|src|bench)\//, '$1/')
  return `${f.functionName || '(anonymous)'} ${short}${f.url ? `:${f.lineNumber + 1}` : ''}`
}

export function summarise(profile: Profile, top = 15): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const packages = new Map<string, number>()
  let total = 0
  let idle = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    const node = byId.get(id)!
    total += dt
    if (IDLE.has(node.callFrame.functionName)) {
      idle += dt
      return
    }
    const key = label(node.callFrame)
    self.set(key, (self.get(key) ?? 0) + dt)
    const pkg = packageOf(node.callFrame.url, node.callFrame.functionName)
    packages.set(pkg, (packages.get(pkg) ?? 0) + dt)
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame
      if (!/\/src\//.test(f.url) || f.url.includes('node_modules')) continue
      const k = label(f)
      if (seen.has(k)) continue
      seen.add(k)
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt)
    }
  })
  const busy = total - idle
  const pct = (v: number) => `${((100 * v) / busy).toFixed(1).padStart(5)} %`
  const list = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `  ${pct(v)}  ${k}`)
      .join('\n')
  return [
    `busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s sampled (percentages are of busy time)`,
    'self time by package:',
    list(packages),
    'hottest functions (self time):',
    list(self),
    'functions in src/ (inclusive time):',
    list(inclusive),
  ].join('\n')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const file of process.argv.slice(2)) {
    console.log(`== ${file}`)
    console.log(summarise(JSON.parse(readFileSync(file, 'utf8'))))
  }
}
