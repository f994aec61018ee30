// How much of the machine's CPU went to processes outside the benchmark while it measured
// (other jobs on the host, hypervisor steal). Linux /proc only; elsewhere it reports nothing.
import { readdirSync, readFileSync } from 'node:fs'

export interface CpuSnapshot {
  /** All CPU time on the machine, in clock ticks */
  total: number
  /** Non-idle time, including time stolen by the hypervisor */
  busy: number
  /** Time used by `rootPid` and every process under it (reaped children included) */
  own: number
}

function procStat(pid: string): { ppid: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after "(comm)": state ppid … utime(14) stime(15) cutime(16) cstime(17)
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) }
  } catch {
    return undefined // gone between readdir and read
  }
}

export function cpuSnapshot(rootPid = process.pid): CpuSnapshot | undefined {
  let line: string
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n')[0]
  } catch {
    return undefined
  }
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number)
  const total = user + nice + system + idle + iowait + irq + softirq + steal
  const procs = new Map<number, { ppid: number; ticks: number }>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const s = procStat(name)
    if (s) procs.set(Number(name), s)
  }
  const children = new Map<number, number[]>()
  for (const [pid, s] of procs) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid])
  let own = 0
  const stack = [rootPid]
  while (stack.length) {
    const pid = stack.pop()!
    own += procs.get(pid)?.ticks ?? 0
    stack.push(...(children.get(pid) ?? []))
  }
  return { total, busy: total - idle - iowait, own }
}

/** Share of the machine's CPU capacity used by other processes between two snapshots (0–1). */
export function foreignShare(before: CpuSnapshot | undefined, after: CpuSnapshot | undefined): number | undefined {
  if (!before || !after || after.total <= before.total) return undefined
  const foreign = after.busy - before.busy - (after.own - before.own)
  return Math.max(0, foreign) / (after.total - before.total)
}
