// The Node adapter writes SSE and poll responses straight into the ServerResponse (no
// ReadableStream in between). These tests hold it to what the stream path guaranteed: a stream
// whose client goes away is released on the server, however early it goes, and a client that
// stops reading is cut once 8 MiB wait for it, then resumes from its cursor missing nothing.
import net from 'node:net'
import v8 from 'node:v8'
import vm from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { openStream, rawConnect, sessionHeaders, type RawStream } from '../support/raw-http.js'
import { sleep, startServer, until, type TestServer } from '../support/server.js'

let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const streamCount = () => server!.io.hub.streamCount

// A full GC, as a busy server would run: undici lets a Request's signal stop following the
// adapter's once its internal controller is collected, so only a direct notice can be relied on.
v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

describe('Node adapter streams', () => {
  it('releases SSE streams and waiting polls whose clients went away', async () => {
    server = await startServer()
    const url = server.url
    const sessions = await Promise.all(Array.from({ length: 20 }, () => rawConnect(url)))
    const streams: RawStream[] = []
    for (const [i, s] of sessions.entries()) {
      streams.push(openStream(`${url}/${i % 2 ? 'sse' : 'poll'}`, sessionHeaders(s)))
    }
    expect(await Promise.all(streams.map((s) => s.status))).toEqual(streams.map(() => 200))
    await until(() => streamCount() === 20, 'all 20 streams open')
    gc()

    for (const s of streams) s.close()
    await until(() => streamCount() === 0, 'every stream released')
  })

  it('releases a stream whose client left before the response began', async () => {
    server = await startServer()
    const url = server.url
    const sessions = await Promise.all(Array.from({ length: 30 }, () => rawConnect(url)))
    // Abort at staggered moments: before the request is sent, mid-request, after the headers.
    const streams = sessions.map((s) => openStream(`${url}/sse`, sessionHeaders(s)))
    await Promise.all(streams.map(async (s, i) => {
      await sleep(i % 10)
      s.close()
    }))
    await until(() => streams.every((s) => s.ended), 'every client side ended')
    await until(() => streamCount() === 0, 'no stream left on the server')
    // The sessions still work: a fresh stream gets a message.
    const again = openStream(`${url}/sse`, sessionHeaders(sessions[0]!))
    await until(() => streamCount() === 1, 'the fresh stream open')
    await (await server.io.fetchSocket(sessions[0]!.sid))!.emit('hello', 1)
    await until(() => again.messages.length === 1, 'the message on the fresh stream')
    again.close()
  })

  it('cuts a client that stops reading once limits.streamBuffer bytes wait for it; it resumes and misses nothing', async () => {
    server = await startServer({ maxLogLength: 1000 })
    const s = await rawConnect(server.url)
    const { port } = server
    // A raw socket that sends the request and then never reads.
    const stalled = net.connect(port, '127.0.0.1')
    await new Promise<void>((resolve) => stalled.once('connect', resolve))
    stalled.pause()
    stalled.write(
      `GET /api/socket/sse HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nx-socket-sid: ${s.sid}\r\nx-socket-token: ${s.token}\r\n\r\n`,
    )
    await until(() => streamCount() === 1, 'the stream open')

    const big = 'x'.repeat(100_000)
    const N = 300 // 30 MB: beyond the kernel's socket buffers and the 1 MiB cut
    const target = (await server.io.fetchSocket(s.sid))!
    let sent = 0
    while (sent < N && streamCount() === 1) {
      await target.emit('big', { n: sent, big })
      sent++
      if (sent % 10 === 0) await sleep(5)
    }
    await until(() => streamCount() === 0, 'the stalled stream cut')
    stalled.destroy()
    // Whatever was sent until the cut, the client gets in full from a fresh stream (cursor 0).
    const fresh = openStream(`${server.url}/sse`, sessionHeaders(s))
    await until(() => fresh.messages.length === sent, `all ${sent} messages on the fresh stream`, 30_000)
    expect(fresh.messages.map((m) => (m.data.d as { n: number }).n)).toEqual(Array.from({ length: sent }, (_, i) => i))
    expect(sent).toBeLessThan(N)
    fresh.close()
  })
})
