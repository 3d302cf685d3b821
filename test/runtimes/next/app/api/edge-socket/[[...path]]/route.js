// Next.js App Router, Edge runtime (Vercel Edge Functions): every path under /api/edge-socket. The
// Edge runtime has no TCP, so the app is given the Upstash store (UPSTASH_REDIS_REST_URL / _TOKEN);
// the same `io` module as the Node route, built by the same `next build`.
import { io } from '../../../../../app.mjs'

export const runtime = 'edge'

export const { GET, POST, OPTIONS } = io.handlers
