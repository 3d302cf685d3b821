import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..')
export const TEST_DIR = join(ROOT, 'test')

/** test-output/<sub> (gitignored), created on demand: screenshots, logs, redis data dirs. */
export function outputDir(...sub: string[]): string {
  const dir = join(process.env.TEST_OUTPUT_DIR ?? join(ROOT, 'test-output'), ...sub)
  mkdirSync(dir, { recursive: true })
  return dir
}
