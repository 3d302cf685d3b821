// Compiled (strict) by readme-snippets.test.ts: the client's emit signatures, untyped and typed.
// Untyped events (socket-serve 0.x code): the ack callback's parameter is contextually typed.
import { connect, type SocketServeError } from '@socket-serve/client'

interface ServerToClient { news: (d: { text: string }) => void }
interface ClientToServer { chat: (msg: { text: string }, ack: (reply: 'ok') => void) => void; ping: () => void }

const untyped = connect('/api/socket')
untyped.emit('chat', { text: 'hi' }, (response) => void (response satisfies unknown))
untyped.emit('chat', { text: 'hi' })
untyped.emit('chat')
untyped.emit('chat', (reply) => void reply)
untyped.volatile.emit('cursor', { x: 1 })
untyped.timeout(100).emit('chat', { text: 'hi' }, (err, reply) => void [err satisfies SocketServeError | null, reply])
// @ts-expect-error one payload per event travels on the wire: a second one would be dropped
untyped.emit('chat', 1, 2)

const typed = connect<ServerToClient, ClientToServer>('/api/socket')
typed.emit('chat', { text: 'hi' }, (reply) => void (reply satisfies 'ok'))
// @ts-expect-error the payload is typed
typed.emit('chat', { txt: 'hi' }, () => {})
typed.emit('ping')
typed.on('news', (d) => void (d.text satisfies string))
