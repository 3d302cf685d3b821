import { fileURLToPath } from 'node:url'

// The example imports ../app.mjs and the workspace's socket-serve (handler/): let Next's bundler
// see the whole repository. A normal app needs no config.
export default {
  turbopack: { root: fileURLToPath(new URL('../../..', import.meta.url)) },
  outputFileTracingRoot: fileURLToPath(new URL('../../..', import.meta.url)),
}
