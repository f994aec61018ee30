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
