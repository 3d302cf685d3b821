// Type-checks every ```ts / ```tsx snippet of handler/docs/*.md against the built packages: each
// snippet becomes a module under test/.doc-snippets/ (gitignored), compiled with test/'s tsconfig.
// Run by `npm run typecheck:test` (npm test, CI). A snippet must be self-contained.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const docs = join(root, 'handler', 'docs')
const out = join(root, 'test', '.doc-snippets')
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

let count = 0
for (const file of readdirSync(docs).filter((f) => f.endsWith('.md')).sort()) {
  const text = readFileSync(join(docs, file), 'utf8')
  const fence = /^```(tsx?)\n([\s\S]*?)^```$/gm
  let m
  let n = 0
  while ((m = fence.exec(text))) {
    n++
    count++
    const line = text.slice(0, m.index).split('\n').length
    const name = `${file.replace(/\.md$/, '')}-${n}.${m[1]}`
    writeFileSync(join(out, name), `// handler/docs/${file}:${line}\n${m[2]}\nexport {}\n`)
  }
}
writeFileSync(
  join(out, 'tsconfig.json'),
  JSON.stringify({ extends: '../tsconfig.json', compilerOptions: { jsx: 'react-jsx' }, include: ['*.ts', '*.tsx'] }, null, 2),
)
try {
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', out], { stdio: 'inherit' })
} catch {
  console.error(`[doc-snippets] type errors in handler/docs snippets (files under test/.doc-snippets name their source line)`)
  process.exit(1)
}
console.log(`[doc-snippets] ${count} snippets of handler/docs type-check`)
