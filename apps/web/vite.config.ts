import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** A workspace library by its source, as `paths` in apps/web/tsconfig.json names it. */
function library(name: string): string {
  return fileURLToPath(new URL(`../../libs/${name}/src/index.ts`, import.meta.url));
}

/** The photo-album single-page app: `vite --config apps/web/vite.config.ts` serves it on :5173. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  resolve: {
    alias: {
      '@app/api-contract': library('api-contract'),
      '@app/uma-client': library('uma-client'),
    },
  },
  server: { port: 5173, strictPort: true, host: 'localhost' },
  preview: { port: 5173, strictPort: true, host: 'localhost' },
  build: { outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)), emptyOutDir: true },
});
