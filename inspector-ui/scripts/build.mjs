// Builds all three outputs from a clean dist/: lib (+ .d.ts), app, embed; then puts the embed
// bundle beside the app as dist/app/inspector.js, so serving dist/app also serves the module.
import { execFileSync } from 'node:child_process'
import { copyFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', name)
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' })

rmSync(join(root, 'dist'), { recursive: true, force: true })
run(bin('vite'), ['build', '--mode', 'lib', '--logLevel', 'warn'])
run(bin('tsc'), ['-p', 'tsconfig.build.json'])
run(bin('vite'), ['build', '--mode', 'app', '--logLevel', 'warn'])
run(bin('vite'), ['build', '--mode', 'embed', '--logLevel', 'warn'])
for (const file of ['inspector.js', 'inspector.js.map']) copyFileSync(join(root, 'dist/embed', file), join(root, 'dist/app', file))
console.log('built dist/lib, dist/app (+ inspector.js), dist/embed')
