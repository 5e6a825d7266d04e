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
          include: ['apps/**/*.spec.ts', 'libs/**/*.spec.ts', 'scripts/**/*.spec.ts'],
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
