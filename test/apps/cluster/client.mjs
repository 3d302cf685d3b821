// A client in its own process, so a test can make it vanish with kill -9 (no disconnect POST).
//
//   URL=http://127.0.0.1:PORT/api/socket TRANSPORT=sse node test/apps/cluster/client.mjs
// prints `connected <sid>` once connected.
import { connect } from '@socket-serve/client'

const socket = connect(process.env.URL, { transports: [process.env.TRANSPORT ?? 'sse'] })
socket.on('connect', () => console.log(`connected ${socket.id}`))
socket.on('connect_error', (err) => console.error(`connect_error ${err.code}: ${err.message}`))
setInterval(() => {}, 1 << 30) // stay alive until killed
