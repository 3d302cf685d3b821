// The member list of the room we are in, kept by presence events (serve({ presence: true })):
// the join reply lists who is there (io.in(room).presence(), every instance's members), then each
// presence:join / presence:leave the room's log carries adds or removes one. A member who closes
// the tab leaves when the server sweeps the session, whichever instance does it.
import { state } from './store.js'

/** The join's reply: { room, members: [{ id, name }] }, read by the server after we joined. */
export function applyJoinReply(reply) {
  if (reply?.room !== state.room) return
  for (const m of reply.members ?? []) state.names.set(m.id, m.name)
  state.members = new Set((reply.members ?? []).map((m) => m.id))
  // Events that arrived before this reply may be newer than its list (or older: then the
  // events that followed them are still on their way, in the room's order).
  for (const [id, kind] of state.sinceJoin) kind === 'join' ? state.members.add(id) : state.members.delete(id)
  if (state.joinsPending === 0) state.sinceJoin.clear()
}

/** presence:join / presence:leave: { room, member: { id, user } }. */
export function applyPresence(kind, event) {
  state.presence.push({ kind, room: event?.room, id: event?.member?.id })
  const id = event?.member?.id
  if (!id || event.room !== state.room) return
  if (state.joinsPending > 0) state.sinceJoin.set(id, kind)
  if (kind === 'join') state.members.add(id)
  else state.members.delete(id)
}

/** A member's name, announced by the server when they join or rename: { id, name }. */
export function applyProfile(event) {
  if (event?.id && typeof event.name === 'string') state.names.set(event.id, event.name)
}

/** Moving to another room: nobody is known to be there until its join reply. */
export function resetMembers() {
  state.members = new Set()
  state.sinceJoin.clear()
}

/** [{ id, name }] sorted by name, then id (a name not heard yet sorts last). */
export function memberList() {
  return [...state.members]
    .map((id) => ({ id, name: state.names.get(id) }))
    .sort((a, b) => (a.name ?? '\uffff').localeCompare(b.name ?? '\uffff') || a.id.localeCompare(b.id))
}
