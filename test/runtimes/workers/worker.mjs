// Cloudflare Workers (wrangler.toml beside this file): `io` lives in its own module (../app.mjs
// here, e.g. src/socket.js in a worker), created at module scope with no I/O and nothing random;
// the store connects within the first request.
import { io } from '../app.mjs'

export default {
  fetch: io.fetch,
  // The cron trigger: ends vanished clients' sessions while no stream is open to do it.
  scheduled: (controller, env, ctx) => ctx.waitUntil(io.sweep()),
}
