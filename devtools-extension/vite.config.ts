import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { crx } from '@crxjs/vite-plugin'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'
import manifest from './manifest.config.js'

// The Server view bundles @socket-serve/inspector from its sources, so this build does not depend on
// inspector-ui having been built first (its dist is what npm users get; we ship a bundle anyway).
const inspectorSource = fileURLToPath(new URL('../inspector-ui/src/index.ts', import.meta.url))

export default defineConfig({
  plugins: [
    react(),
    crx({
      manifest,
      // One classic script each: the hook must run synchronously at document_start (no ESM loader).
      contentScripts: { standaloneFiles: ['src/hook.ts', 'src/content.ts'] },
    }),
  ],
  resolve: {
    alias: existsSync(inspectorSource) ? { '@socket-serve/inspector': inspectorSource } : {},
    dedupe: ['react', 'react-dom'],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'chrome111',
    sourcemap: false,
    rollupOptions: {
      input: { devtools: 'devtools.html', panel: 'panel.html' },
    },
  },
  // No dev server use: the extension is loaded from dist/.
  server: { strictPort: true, port: 5199, cors: { origin: [/chrome-extension:\/\//] } },
})
