// The client's weight in a browser app: its default entry bundled from the built dist/ (what a
// bundler reads from the package) with esbuild, minified, gzipped at level 9. The budget catches
// growth; the aim is 6 KB (issue 14), not reached yet (see README "Client API").
import { gzipSync } from 'node:zlib'
import { join } from 'node:path'
import { build } from 'esbuild'
import { expect, it } from 'vitest'
import { ROOT } from '../support/paths.js'

const BUDGET = 9_000 // bytes, min+gzip (8,819 with log epochs in the cursor, 2026-12-02)

it(`the client's default entry stays within ${BUDGET} bytes min+gzip`, async () => {
  const result = await build({
    entryPoints: [join(ROOT, 'client', 'dist', 'index.js')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
  })
  const code = result.outputFiles[0].contents
  const gzipped = gzipSync(code, { level: 9 }).length
  const inputs = Object.values(result.metafile.outputs)[0].inputs
  const largest = Object.entries(inputs)
    .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
    .slice(0, 6)
    .map(([file, { bytesInOutput }]) => `${file.replace(/^.*client\/dist\//, '')} ${bytesInOutput}`)
  console.log(`[size] @socket-serve/client: ${code.length} B min, ${gzipped} B min+gzip (budget ${BUDGET}); largest (min): ${largest.join(', ')}`)
  expect(gzipped).toBeLessThanOrEqual(BUDGET)
})
