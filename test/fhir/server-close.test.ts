// Closing the server (SIGTERM, or an embedding application's close) ends promptly: a connection
// that has not sent a request holds nothing up, even though Node counts it as a request whose
// headers are on the way until its headers timeout (60 s).
import t from 'tap'
import { connect, type Socket } from 'node:net'
import { startTestServer } from '../helpers/test-server.js'

const open = (port: number) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket))
    socket.once('error', reject)
  })
const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())))

t.test('close ends connections that never sent a request, and kept-alive idle ones', async (t) => {
  const hub = await startTestServer(t)
  const port = Number(new URL(hub.url).port)
  const silent = await open(port)
  silent.on('error', () => undefined)

  const used = await open(port)
  used.on('error', () => undefined)
  const answered = new Promise<string>((resolve) => {
    let text = ''
    used.on('data', (chunk) => {
      text += chunk.toString('utf8')
      if (text.includes('"CapabilityStatement"')) resolve(text)
    })
  })
  used.write('GET /fhir/metadata?_summary=true HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n')
  t.match(await answered, /^HTTP\/1\.1 200/, 'the kept-alive connection was served')

  const started = Date.now()
  await hub.server.close()
  const took = Date.now() - started
  await Promise.all([closed(silent), closed(used)])
  t.ok(took < 10_000, `closed in ${took} ms, not after the 60 s headers timeout`)
})
