// Every ```ts block of README.md compiles against the workspace's packages, each as a module of its
// own (strict). The names a snippet leaves to the reader's app (`token`, `getToken`, `env`...) are
// declared once in a prelude. The platform blocks (```js) are copies of the tested example apps in
// test/runtimes/<platform>/ and run there.
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'
import { ROOT, TEST_DIR } from '../support/paths.js'

const PRELUDE = `
declare const token: string
declare const x: number
declare const y: number
declare const env: Record<string, string>
declare function getToken(): Promise<string>
declare function refreshLogin(): Promise<void>
declare const connect: typeof import('@socket-serve/client').connect
`

/** The ```ts blocks of a markdown text, with the line each starts on. */
export function tsBlocks(markdown: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```ts') continue
    const start = i + 1
    while (++i < lines.length && lines[i].trim() !== '```');
    blocks.push({ line: start + 1, code: lines.slice(start, i).join('\n') })
  }
  return blocks
}

it('README.md: every ```ts snippet type-checks, and so do the client emit signatures they use', async () => {
  const blocks = tsBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'))
  expect(blocks.length).toBeGreaterThanOrEqual(6)
  // Under test/ so that 'socket-serve', '@socket-serve/client' and 'jose' resolve from test/node_modules.
  const dir = join(TEST_DIR, 'packaging', '.readme-snippets')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const files = blocks.map(({ line, code }) => {
    const file = `readme-line-${line}.ts`
    writeFileSync(join(dir, file), `${code}\nexport {}\n`)
    return file
  })
  writeFileSync(join(dir, 'prelude.d.ts'), PRELUDE)
  // Beside them, the client's emit signatures (emit-types.ts): what the snippets rely on.
  writeFileSync(join(dir, 'emit-types.ts'), readFileSync(join(TEST_DIR, 'packaging', 'emit-types.ts'), 'utf8'))
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom'], strict: true, noEmit: true, skipLibCheck: true, types: ['node'], noUnusedLocals: false },
      files: ['prelude.d.ts', 'emit-types.ts', ...files],
    }),
  )
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = await promisify(execFile)(process.execPath, [tsc, '-p', dir], { cwd: dir }).catch((e) => e)
  rmSync(dir, { recursive: true, force: true })
  // Errors name the README line the snippet starts on (readme-line-N.ts).
  expect(`${result.stdout ?? ''}${result.stderr ?? ''}`.trim()).toBe('')
}, 120_000)
