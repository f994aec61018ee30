// Plumbing shared by the two benchmark servers (serve-casehub.ts, baseline-server.ts), each run
// as a child of run.ts with an IPC channel: report the port, take CPU-profile commands, and
// stop cleanly on SIGTERM or when the parent goes away.
import type { Profiler } from 'node:inspector'
import { Session } from 'node:inspector/promises'
import { writeFileSync } from 'node:fs'
import { findSourceMap } from 'node:module'

export type ParentMessage = { cmd: 'profile-start' } | { cmd: 'profile-stop'; file: string }

export function serveChild(port: number, stop: () => Promise<void>) {
  let session: Session | undefined
  let stopping = false
  const shutdown = () => {
    if (stopping) return
    stopping = true
    stop().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`shutdown failed: ${(err as Error).stack}\n`)
        process.exit(1)
      },
    )
  }
  // A second signal while draining forces the exit.
  const onSignal = () => (stopping ? process.exit(1) : shutdown())
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  // The parent died or closed the channel: do not linger.
  process.on('disconnect', shutdown)
  process.on('message', async (message: ParentMessage) => {
    try {
      if (message.cmd === 'profile-start') {
        session = new Session()
        session.connect()
        await session.post('Profiler.enable')
        await session.post('Profiler.setSamplingInterval', { interval: 200 })
        await session.post('Profiler.start')
        process.send!({ ok: 'profile-start' })
      } else if (message.cmd === 'profile-stop') {
        const { profile } = await session!.post('Profiler.stop')
        await session!.post('Profiler.disable')
        session!.disconnect()
        session = undefined
        writeFileSync(message.file, JSON.stringify(toSourcePositions(profile)))
        process.send!({ ok: 'profile-stop' })
      }
    } catch (err) {
      process.send!({ error: (err as Error).message })
    }
  })
  if (!process.send) throw new Error('Run this file through bench/run.ts (it needs an IPC channel)')
  process.send({ listening: port })
}

/**
 * Points profile frames at the original sources: CaseHub's TypeScript (tsx runs transpiled
 * code) and the sources of bundled, minified packages that ship source maps (@medplum/core).
 */
function toSourcePositions(profile: Profiler.Profile): Profiler.Profile {
  for (const { callFrame: f } of profile.nodes) {
    if (!f.url.startsWith('file://') || f.lineNumber < 0) continue
    const entry = findSourceMap(f.url)?.findEntry(f.lineNumber, f.columnNumber) as
      | { originalSource?: string; originalLine?: number; originalColumn?: number; name?: string }
      | undefined
    if (entry?.originalLine === undefined) continue
    if (entry.originalSource && entry.originalSource !== f.url) {
      f.url = entry.originalSource
      if (entry.name) f.functionName = entry.name
    }
    f.lineNumber = entry.originalLine
    f.columnNumber = entry.originalColumn ?? 0
  }
  return profile
}
