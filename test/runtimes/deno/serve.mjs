// deno run -A --unstable-no-legacy-abort test/runtimes/deno/serve.mjs   (PORT from the environment)
// Without --unstable-no-legacy-abort Deno aborts request.signal even after a complete response.
import { io } from '../app.mjs'
import { port, hostname, listening } from '../listen.mjs'

Deno.serve({ port, hostname, onListen: ({ port }) => listening(port) }, io.fetch)

Deno.addSignalListener('SIGTERM', async () => {
  await io.close()
  Deno.exit(0)
})
