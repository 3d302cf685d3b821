// node test/runtimes/netlify/dev.mjs   (PORT from the environment)
// Netlify's local platform emulator (@netlify/dev, the library under `netlify dev`), in-process,
// served over node:http: netlify/functions/ here are loaded as on Netlify (Functions v2).
import { serve } from '@hono/node-server'
import { NetlifyDev } from '@netlify/dev'
import { port, hostname, listening } from '../listen.mjs'

const netlify = new NetlifyDev({
  projectRoot: import.meta.dirname,
  functions: { enabled: true },
  // Only Functions: the rest would start emulators this example does not use (a Postgres, blobs).
  aiGateway: { enabled: false },
  blobs: { enabled: false },
  database: { enabled: false },
  edgeFunctions: { enabled: false },
  environmentVariables: { enabled: false },
  geolocation: { enabled: false },
  headers: { enabled: false },
  images: { enabled: false },
  redirects: { enabled: false },
  staticFiles: { enabled: false },
})
await netlify.start()

// The emulator hands a streamed body from its worker over a socket into a web ReadableStream;
// bytes that arrive after the client went away (a cut connection) make that stream throw outside
// any promise we hold. That is the local emulator's plumbing, not the function: log it, stay up.
process.on('uncaughtException', (err) => {
  if (err?.code !== 'ERR_INVALID_STATE') throw err
  console.error('[netlify dev] late stream bytes after a client left:', err.message)
})

const server = serve(
  { port, hostname, fetch: async (req) => (await netlify.handle(req)) ?? new Response('not found', { status: 404 }) },
  (info) => listening(info.port),
)

process.on('SIGTERM', async () => {
  await netlify.stop()
  server.close()
  process.exit(0)
})
