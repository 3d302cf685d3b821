// deno run -A --unstable-no-legacy-abort test/apps/smoke/deno.mjs   (PORT from the environment)
// Without --unstable-no-legacy-abort Deno aborts request.signal even after a complete response.
import { io, port, hostname, listening } from './app.mjs'

Deno.serve({ port, hostname, onListen: ({ port }) => listening(port) }, io.fetch)

Deno.addSignalListener('SIGTERM', async () => {
  await io.close?.()
  Deno.exit(0)
})
