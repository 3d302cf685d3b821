/**
 * Type tests for typed events (issue 16, item 1): checked by `tsc -p test` (npm test, CI), not
 * run by vitest. Each `@ts-expect-error` fails the check if the line below it compiles, so a
 * wrong payload or a wrong ack must stay an error on both sides.
 */
import { describe, expectTypeOf, it } from 'vitest'
import { connect, SocketServeError, type ClientSocket } from '@socket-serve/client'
import { serve, type Socket } from 'socket-serve'

interface Msg { text: string }
interface Reply { ok: boolean; id: number }

// Socket.IO's style: interfaces, one payload, the ack as a trailing callback.
interface ClientToServerEvents {
  chat: (msg: Msg, ack: (reply: Reply) => void) => void
  typing: (on: boolean) => void
  hello: () => void
}
interface ServerToClientEvents {
  chat: (msg: Msg & { from: string }) => void
  ping: (n: number, ack: (pong: string) => void) => void
  tick: () => void
}
interface SocketData { name: string; joined: number }

// The same maps written as `type`s work as well.
type ClientToServerAlias = { chat: (msg: Msg, ack: (reply: Reply) => void) => void }

describe('typed events (compile-time)', () => {
  it('server: payloads, acks and socket data come from the maps', () => {
    const io = serve<ClientToServerEvents, ServerToClientEvents, SocketData>()
    io.onMessage('chat', async (socket, msg, ack) => {
      expectTypeOf(socket).toEqualTypeOf<Socket<ClientToServerEvents, ServerToClientEvents, SocketData>>()
      expectTypeOf(msg).toEqualTypeOf<Msg>()
      expectTypeOf(ack).parameter(0).toEqualTypeOf<Reply>()
      expectTypeOf(socket.get('name')).toEqualTypeOf<string | undefined>()
      await socket.set('joined', 1)
      // @ts-expect-error a state value of the wrong type
      await socket.set('joined', 'one')
      // @ts-expect-error a state key SocketData does not have
      await socket.set('age', 3)
      await socket.emit('chat', { text: msg.text, from: 'x' })
      // @ts-expect-error the payload misses `from`
      await socket.emit('chat', { text: msg.text })
      // @ts-expect-error an event the server does not send
      await socket.emit('nope', 1)
      await socket.emit('tick')
      await socket.to('room').emit('chat', { text: '', from: '' })
      await socket.broadcast('tick')
      const pong = await socket.emitWithAck('ping', 1)
      expectTypeOf(pong).toEqualTypeOf<string>()
      // @ts-expect-error ping's payload is a number
      await socket.emitWithAck('ping', 'one')
      return { ok: true, id: 1 }
    })
    // @ts-expect-error the ack (return value) has the wrong shape
    io.onMessage('chat', () => ({ ok: 'yes' }))
    // @ts-expect-error the ack callback is called with the wrong shape
    io.onMessage('chat', (_s, _m, ack) => ack({ ok: true }))
    // @ts-expect-error a handler reading a payload of the wrong type
    io.onMessage('typing', (_s, on: string) => void on)
    io.onMessage('typing', (_s, on) => {
      expectTypeOf(on).toEqualTypeOf<boolean>()
    })
    io.onMessage('hello', (_s, data) => {
      expectTypeOf(data).toEqualTypeOf<undefined>()
    })
    // @ts-expect-error an event the client does not send
    io.onMessage('nope', () => {})
    void io.emit('tick')
    void io.to('room').emit('chat', { text: '', from: '' })
    // @ts-expect-error a wrong payload to a room
    void io.in('room').emit('chat', { text: 1, from: '' })

    const aliased = serve<ClientToServerAlias>()
    aliased.onMessage('chat', (_s, msg) => ({ ok: msg.text.length > 0, id: 2 }))
  })

  it('client: the same maps, reversed', () => {
    const socket = connect<ServerToClientEvents, ClientToServerEvents>('http://127.0.0.1:1/', { autoConnect: false })
    expectTypeOf(socket).toEqualTypeOf<ClientSocket<ServerToClientEvents, ClientToServerEvents>>()
    socket.emit('chat', { text: 'hi' }, (reply) => expectTypeOf(reply).toEqualTypeOf<Reply>())
    // @ts-expect-error the payload has the wrong shape
    socket.emit('chat', { body: 'hi' }, () => {})
    // @ts-expect-error the ack callback expects the wrong reply
    socket.emit('chat', { text: 'hi' }, (reply: string) => void reply)
    socket.emit('typing', true)
    socket.emit('hello')
    // @ts-expect-error an event the server does not listen to
    socket.emit('nope')
    expectTypeOf(socket.emitWithAck('chat', { text: 'hi' })).resolves.toEqualTypeOf<Reply>()
    socket.timeout(100).emit('chat', { text: 'hi' }, (err, reply) => {
      expectTypeOf(err).toEqualTypeOf<SocketServeError | null>()
      expectTypeOf(reply).toEqualTypeOf<Reply | undefined>()
    })
    socket.on('chat', (msg) => expectTypeOf(msg.from).toEqualTypeOf<string>())
    socket.on('ping', (n, ack) => {
      expectTypeOf(n).toEqualTypeOf<number>()
      ack('pong')
      // @ts-expect-error the server expects a string back
      ack(1)
    })
    // @ts-expect-error a listener for the wrong payload
    socket.on('chat', (msg: number) => void msg)
  })

  it('untyped server and client accept anything', () => {
    const io = serve()
    io.onMessage('anything', (_s, data, ack) => {
      expectTypeOf(data).toBeAny()
      ack({ any: 'thing' })
      return 1
    })
    void io.emit('x', { y: 1 })
    void io.emit('x')
    const socket = connect('http://127.0.0.1:1/', { autoConnect: false })
    socket.emit('x', 1, (r: unknown) => void r)
    expectTypeOf(socket.emitWithAck('x', 1)).resolves.toBeAny()
  })
})
