// Packs dist/ into dist-zip/socket-serve-devtools.zip for the Chrome Web Store (manifest.json at the
// zip's root). Pure JS (fflate), so CI needs no `zip` binary. Entries are sorted and dated
// 1980-01-01 so the same dist gives the same zip.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { zipSync } from 'fflate'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, 'dist')
const outDir = join(root, 'dist-zip')
const out = join(outDir, 'socket-serve-devtools.zip')

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
}

const files = walk(dist).sort()
if (!files.some((f) => relative(dist, f) === 'manifest.json')) {
  console.error('zip: dist/manifest.json is missing; run vite build first')
  process.exit(1)
}
const mtime = new Date('1980-01-01T00:00:00Z')
const entries = {}
for (const file of files) {
  if (file.endsWith('.map')) continue // the store does not need sourcemaps
  const name = relative(dist, file).split(sep).join('/')
  const level = /\.(png|jpe?g|gif|webp|zip)$/i.test(name) ? 0 : 9
  entries[name] = [readFileSync(file), { level, mtime }]
}
mkdirSync(outDir, { recursive: true })
const zip = zipSync(entries)
writeFileSync(out, zip)
console.log(`zip: ${relative(root, out)} (${Object.keys(entries).length} files, ${(zip.length / 1024).toFixed(1)} kB)`)
