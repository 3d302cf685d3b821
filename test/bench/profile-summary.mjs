// Summarises a V8 .cpuprofile (node --cpu-prof): where the busy time went.
//   node test/bench/profile-summary.mjs FILE.cpuprofile [--top 25] [--filter socket-serve]
// Prints: busy vs idle time, self time by area (package or file), the top functions by self time,
// and the top functions by inclusive time (a function counted once per sample, recursion or not).
import { readFileSync } from 'node:fs'

const args = process.argv.slice(2)
const files = args.filter((a, i) => !a.startsWith('--') && !(args[i - 1] ?? '').startsWith('--'))
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? dflt : args[i + 1]
}
const TOP = Number(opt('top', 25))
const FILTER = opt('filter', undefined)
if (files.length === 0) {
  console.error('usage: node test/bench/profile-summary.mjs FILE.cpuprofile [--top N] [--filter TEXT]')
  process.exit(2)
}

/** Where a function lives: an npm package, a file of this repo, node's internals, or V8's pseudo-frames. */
function area(url, fn) {
  if (!url) return fn.startsWith('(') ? fn : '(native)'
  const nm = url.lastIndexOf('/node_modules/')
  if (nm !== -1) {
    const rest = url.slice(nm + 14).split('/')
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
  }
  if (url.startsWith('node:')) {
    const m = /^node:(internal\/)?(deps\/)?([^/]+)/.exec(url)
    return `node:${m ? m[3] : url.slice(5)}`
  }
  const m = /\/(handler|client)\/dist\/(.*)$/.exec(url)
  if (m) return `${m[1]}/${m[2]}`
  return url.replace(/^file:\/\//, '').split('/').slice(-2).join('/')
}

function shortUrl(url) {
  if (!url) return ''
  const nm = url.lastIndexOf('/node_modules/')
  if (nm !== -1) return url.slice(nm + 14).replace(/^\.pnpm\/[^/]+\/node_modules\//, '')
  const m = /\/(handler|client|test)\/(.*)$/.exec(url)
  return m ? `${m[1]}/${m[2]}` : url.replace(/^file:\/\//, '')
}

for (const file of files) {
  const prof = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map()
  const parent = new Map()
  for (const n of prof.nodes) {
    byId.set(n.id, n)
    for (const c of n.children ?? []) parent.set(c, n.id)
  }
  const keyOf = (n) => {
    const { functionName, url, lineNumber } = n.callFrame
    return `${functionName || '(anonymous)'}  ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`
  }
  const self = new Map()
  const incl = new Map()
  const areas = new Map()
  let total = 0
  let idle = 0
  const samples = prof.samples
  const deltas = prof.timeDeltas
  for (let i = 0; i < samples.length; i++) {
    const dt = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000 // ms; a sample's time runs until the next one
    const node = byId.get(samples[i])
    if (!node) continue
    total += dt
    const fn = node.callFrame.functionName
    if (fn === '(idle)') {
      idle += dt
      continue
    }
    const k = keyOf(node)
    self.set(k, (self.get(k) ?? 0) + dt)
    const a = area(node.callFrame.url, fn)
    areas.set(a, (areas.get(a) ?? 0) + dt)
    const seen = new Set()
    for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id)
      if (n.callFrame.functionName === '(root)') break
      const key = keyOf(n)
      if (seen.has(key)) continue
      seen.add(key)
      incl.set(key, (incl.get(key) ?? 0) + dt)
    }
  }
  const busy = total - idle
  const pct = (ms) => `${((100 * ms) / busy).toFixed(1).padStart(5)}%`
  const row = (ms, label) => `  ${ms.toFixed(0).padStart(7)} ms ${pct(ms)}  ${label}`
  const sorted = (m) => [...m.entries()].filter(([k]) => !FILTER || k.includes(FILTER)).sort((a, b) => b[1] - a[1])

  console.log(`\n# ${file}`)
  console.log(`wall ${(total / 1000).toFixed(1)} s, busy ${(busy / 1000).toFixed(2)} s (${((100 * busy) / total).toFixed(0)}%), idle ${(idle / 1000).toFixed(1)} s; percentages are of busy time`)
  console.log(`\nself time by area:`)
  for (const [k, v] of sorted(areas).slice(0, 20)) console.log(row(v, k))
  console.log(`\ntop ${TOP} functions by self time:`)
  for (const [k, v] of sorted(self).slice(0, TOP)) console.log(row(v, k))
  console.log(`\ntop ${TOP} functions by inclusive time:`)
  for (const [k, v] of sorted(incl).slice(0, TOP)) console.log(row(v, k))
}
