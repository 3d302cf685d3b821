// node test/runtimes/netlify/dev.mjs   (PORT from the environment)
// Netlify's local platform emulator (@netlify/dev, the library under `netlify dev`), in-process,
// served over node:http: netlify/functions/ here are loaded as on Netlify (Functions v2).
import { serve } from '@hono/node-server'
import { NetlifyDev } from '@netlify/dev'
import { port, hostname, listening } from '../listen.mjs'

const netlify = new NetlifyDev({
  projectRoot: import.meta.dirname,
  functions: { enabled: true },
  blobs: { enabled: false },
  edgeFunctions: { enabled: false },
  environmentVariables: { enabled: false },
  redirects: { enabled: false },
  staticFiles: { enabled: false },
  imageCDN: { enabled: false },
})
await netlify.start()

const server = serve(
  { port, hostname, fetch: async (req) => (await netlify.handle(req)) ?? new Response('not found', { status: 404 }) },
  (info) => listening(info.port),
)

process.on('SIGTERM', async () => {
  await netlify.stop()
  server.close()
  process.exit(0)
})
