import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { pathAliases } from './scripts/lib/workspace.ts';

// The libraries (`@app/...`) exactly as tsconfig.json maps them, so there is one list to keep.
const alias = pathAliases(fileURLToPath(new URL('.', import.meta.url)));

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          // test/support: the suites' own helpers that are worth a unit test (the metrics parser);
          // bench: the benchmark's own measuring helpers.
          include: [
            'bench/**/*.spec.ts',
            'apps/**/*.spec.ts',
            'libs/**/*.spec.ts',
            'scripts/**/*.spec.ts',
            'test/support/**/*.spec.ts',
          ],
          // Code under test logs through pino; unit runs keep their output to the results.
          env: { LOG_LEVEL: 'silent' },
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          // The browser story (test/browser) drives the web app in Chromium against the same stack.
          include: ['test/**/*.e2e-spec.ts', 'test/browser/**/*.browser-spec.ts'],
          globalSetup: ['test/setup/global-setup.ts'],
          setupFiles: ['test/setup/e2e-env.ts'],
          // The suites share one Keycloak realm and one database: one file at a time.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
