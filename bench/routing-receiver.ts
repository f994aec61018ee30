// The loopback FHIR receiver for bench/routing.ts, in its own process so that it does not share
// an event loop with the workers it measures. It answers transaction Bundles as a FHIR server
// does (conditional creates honoured) and records when each referral arrived, on the wall clock
// (performance.timeOrigin + now(), comparable across processes on one machine). The parent asks
// over IPC: { cmd: 'stats' } → { count, posts, receipts: [referral id, ms][], cpuSeconds }; { cmd: 'reset' }.
import { createServer } from 'node:http'

const receipts = new Map<string, number>()
let posts = 0
let next = 0
const now = () => performance.timeOrigin + performance.now()

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    const at = now()
    posts++
    const bundle = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { entry?: { request?: { url?: string; ifNoneExist?: string } }[] }
    const entry = (bundle.entry ?? []).map((e) => {
      const url = e.request?.url ?? ''
      if (url === 'ServiceRequest') {
        const id = decodeURIComponent((e.request?.ifNoneExist ?? '').split('|')[1] ?? '')
        const seen = receipts.has(id)
        if (!seen) receipts.set(id, at)
        return { response: { status: seen ? '200 OK' : '201 Created', location: `ServiceRequest/${id}/_history/1` } }
      }
      return { response: { status: '201 Created', location: `${url}/${++next}/_history/1` } }
    })
    const body = JSON.stringify({ resourceType: 'Bundle', type: 'transaction-response', entry })
    res.writeHead(200, { 'content-type': 'application/fhir+json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
})

process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'reset') {
    receipts.clear()
    posts = 0
    process.send!({ ok: true })
  } else if (m.cmd === 'stats') {
    const cpu = process.cpuUsage()
    process.send!({ count: receipts.size, posts, receipts: [...receipts], cpuSeconds: (cpu.user + cpu.system) / 1e6 })
  }
})
process.on('disconnect', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.send!({ port: typeof address === 'object' && address ? address.port : 0 })
})
