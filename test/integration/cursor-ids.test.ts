// Frame ids carry the stream's whole cursor (PROTOCOL.md, "Cursors in frame ids"): compact whatever
// the room names, enough on its own to resume every log, and a cursor that is not the session's own
// can only make the server replay, never skip.
import { afterEach, describe, expect, it } from 'vitest'
import { openStream, rawConnect, sessionHeaders, type Frame, type RawSession } from '../support/raw-http.js'
import { startServer, until, type TestServer } from '../support/server.js'
import { storeCases } from '../support/stores.js'

const stores = storeCases()

/** A poll that answers at once with whatever the cursor leaves to read. */
async function pollNow(server: TestServer, s: RawSession, cursor?: string): Promise<Frame[]> {
  const stream = openStream(`${server.url}/poll?wait=0`, { ...sessionHeaders(s), ...(cursor === undefined ? {} : { 'last-event-id': cursor }) })
  await until(() => stream.ended, 'the poll to end')
  return stream.messages
}

describe.each(stores)('cursor ids on the $name store', (store) => {
  let server: TestServer | undefined

  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('stay short with many long-named rooms, and resume every log from the last id alone', async () => {
    const rooms = Array.from({ length: 30 }, (_, i) => `${String(i).padStart(2, '0')}${'é'.repeat(126)}`) // 128 characters, 254 UTF-8 bytes each
    server = await startServer({ store: store.make() }, (io) => {
      io.onConnect(async (socket) => {
        for (const room of rooms) await socket.join(room)
      })
    })
    const s = await rawConnect(server.url)
    const [socket] = await server.io.fetchSockets()
    await socket!.emit('m', 'direct')
    for (const room of rooms) await server.io.to(room).emit('m', room.slice(0, 2))
    await server.io.emit('m', 'everyone')
    const first = await pollNow(server, s)
    expect(first.map((f) => f.data.d).sort()).toEqual(['direct', ...rooms.map((r) => r.slice(0, 2)), 'everyone'].sort())
    const last = first.at(-1)!.id!
    // a mark, then d, *, and 30 rooms: an 8-letter tag, a seq and a 4-letter epoch each
    expect(last.split('.')).toHaveLength(33)
    expect(last.length).toBeLessThan(5 + 32 * 16)
    expect(last).toMatch(/^[A-Za-z_-]{4}(\.[A-Za-z_*-]+\d+[A-Za-z]{4})+$/)
    // nothing again from the last id; then exactly what came after it
    expect(await pollNow(server, s, last)).toEqual([])
    for (const room of rooms.slice(0, 10)) await server.io.to(room).emit('m', `again ${room.slice(0, 2)}`)
    await socket!.emit('m', 'direct again')
    const again = (await pollNow(server, s, last)).map((f) => f.data.d as string)
    expect(again.sort()).toEqual([...rooms.slice(0, 10).map((r) => `again ${r.slice(0, 2)}`), 'direct again'].sort())
  })

  it("another session's cursor, a malformed one or the old per-log form replays from the join, never skips", async () => {
    server = await startServer({ store: store.make() }, (io) => {
      io.onConnect(async (socket) => {
        await socket.join('lobby')
      })
    })
    const a = await rawConnect(server.url)
    const b = await rawConnect(server.url)
    for (let i = 0; i < 5; i++) await server.io.to('lobby').emit('m', i)
    for (const socket of await server.io.fetchSockets()) await socket.emit('m', `direct ${socket.id === a.sid ? 'a' : 'b'}`)
    const byLog = (frames: Frame[]) => ({ direct: frames.filter((f) => typeof f.data.d === 'string').map((f) => f.data.d), lobby: frames.filter((f) => typeof f.data.d === 'number').map((f) => f.data.d) })
    const ofA = await pollNow(server, a)
    expect(byLog(ofA)).toEqual({ direct: ['direct a'], lobby: [0, 1, 2, 3, 4] })
    // A's cursor after its last lobby message: it names the lobby, and whatever else had moved
    const cursorOfA = ofA.find((f) => f.data.d === 4)!.id!
    for (const cursor of [cursorOfA, 'garbage', 'd=999,r%3Alobby=999,r%3A*=999', `${cursorOfA.split('.')[0]}X.d999`, '', '....']) {
      expect(byLog(await pollNow(server, b, cursor)), cursor).toEqual({ direct: ['direct b'], lobby: [0, 1, 2, 3, 4] })
    }
  })
})
