// The relay's unit tests on their own (`pnpm --filter devtools-extension test`); the root config
// runs them too once its unit project includes devtools-extension/src/**/*.test.ts.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
})
