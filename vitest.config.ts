import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const root = fileURLToPath(new URL('.', import.meta.url))
// Anything a test writes (screenshots, traces, redis dirs, logs) goes under test-output/ (gitignored).
const testOutput = fileURLToPath(new URL('./test-output/', import.meta.url))

const exclude = [
  '**/node_modules/**',
  '**/dist/**',
  'test/bench/**',
  'test-output/**',
]

export default defineConfig({
  test: {
    root,
    // Integration tests start servers, redis-server and Chromium: be patient, but not forever.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 15_000,
    // Child processes (servers, redis) are easier to clean up from a forked worker.
    pool: 'forks',
    // These machines have 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
    env: { TEST_OUTPUT_DIR: testOutput },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['client/src/**/*.test.ts', 'handler/src/**/*.test.ts', 'inspector-ui/src/**/*.test.ts', 'devtools-extension/src/**/*.test.ts'],
          exclude,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude,
        },
      },
    ],
  },
})
