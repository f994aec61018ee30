// Runs the `casehub` command (bin/casehub.js) as a child process, as a user would.
import { spawn } from 'node:child_process'
import { join } from 'node:path'

export const ROOT = new URL('../../', import.meta.url).pathname

export function runCasehub(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/casehub.js'), ...args], { env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }))
  })
}

/**
 * `casehub start` as a child process (killed at teardown if still running); resolves once it
 * logs its URL. `out` collects its stdout and stderr.
 */
export async function startCasehubProcess(
  t: { teardown(fn: () => unknown): void },
  env: Record<string, string>,
): Promise<{ child: import('node:child_process').ChildProcess; url: string; out: () => string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/casehub.js'), 'start'], { env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env } })
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let out = ''
  child.stderr.on('data', (d) => (out += d))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 90 s: ${out.slice(-2000)}`)), 90_000)
    child.stdout.on('data', (d) => {
      out += d
      const m = /"url":"(http:[^"]+)"/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`casehub start exited (${code}): ${out.slice(-2000)}`))
    })
  })
  return { child, url, out: () => out }
}
