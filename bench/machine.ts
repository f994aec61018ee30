// What a benchmark ran on, for bench/RESULTS.md: the machine and the code version.
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const rootDir = join(dirname(fileURLToPath(import.meta.url)), '..')

export function machineLine(): string {
  const cpus = os.cpus()
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`
}

export function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: rootDir, encoding: 'utf8' }).trim()
    const dirty = git('status', '--porcelain', '--', 'src') !== ''
    return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ', with uncommitted changes under src/' : ''}`
  } catch {
    return 'unknown (not a git checkout)'
  }
}
