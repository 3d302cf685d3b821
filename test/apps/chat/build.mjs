// Builds the chat page (web/) into dist/ with vite: React and the client SDK bundled, minified.
//   node test/apps/chat/build.mjs        (part of the root `npm run build`, after `tsc -b handler client`)
// vite and react resolve from test/node_modules (test/package.json); @socket-serve/client is the
// workspace's client/ (its dist/, so the client must be built first).
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const here = dirname(fileURLToPath(import.meta.url))
const started = Date.now()
await build({
  configFile: false,
  root: join(here, 'web'),
  base: '/',
  logLevel: 'warn',
  mode: 'production',
  // JSX without a React plugin: vite's own transform, React 17+'s automatic runtime.
  oxc: { jsx: { runtime: 'automatic' } },
  // One React, whichever package's node_modules an import resolved from.
  resolve: { dedupe: ['react', 'react-dom'] },
  build: { outDir: join(here, 'dist'), emptyOutDir: true, sourcemap: true, reportCompressedSize: false },
})
console.log(`built test/apps/chat/dist (${Date.now() - started} ms)`)
