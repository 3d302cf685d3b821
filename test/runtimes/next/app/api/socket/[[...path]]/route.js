// Next.js App Router (Node runtime; also the Vercel target): every path under /api/socket.
// `io` lives in its own module (../../../../../app.mjs here, e.g. lib/socket.js in an app).
import { io } from '../../../../../app.mjs'

export const { GET, POST, OPTIONS } = io.handlers
