// The messages of each room: ours show a clock until the server acks them, then a tick; the room's
// 'chat' events put them (and everyone else's) in the server's order.
import { state } from './store.js'

let counter = 0
export const newClientId = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${++counter}`

export const roomMessages = (room) => state.messages.get(room) ?? state.messages.set(room, []).get(room)

/** A message we send: shown pending at once, sent whatever the connection (the SDK buffers it). */
export function addOwn(text) {
  const msg = { clientId: newClientId(), from: state.name, text, at: Date.now(), mine: true, status: 'pending', room: state.room, echoed: false }
  roomMessages(msg.room).push(msg)
  return msg
}

/** A 'chat' event from the room: ours takes its place in the room's order; others' are added. */
export function addReceived(m, ownId) {
  state.received.push(m)
  const list = roomMessages(m.room ?? state.room)
  const i = m.clientId ? list.findIndex((x) => x.mine && x.clientId === m.clientId) : -1
  if (i >= 0) {
    const [own] = list.splice(i, 1)
    list.push(Object.assign(own, { id: m.id, at: m.at, echoed: true }))
  } else {
    list.push({ ...m, mine: m.fromId === ownId, status: 'received', echoed: true })
  }
}

/** The room's messages in server order, then ours that the room has not echoed yet. */
export function ordered(room) {
  const list = room ? roomMessages(room) : []
  return [...list.filter((m) => m.echoed), ...list.filter((m) => !m.echoed)]
}

/** An ack error (a SocketServeError, or { error }) as text; '' when there is none. */
export function ackError(reply) {
  if (reply instanceof Error) return reply.message
  const e = reply?.error
  if (!e) return ''
  return typeof e === 'string' ? e : (e.message ?? e.code ?? 'error')
}
