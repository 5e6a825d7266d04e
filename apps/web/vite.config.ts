import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv } from 'vite';
import { CSP_NONCE_PLACEHOLDER, cspNoncePlugin } from './csp-nonce-plugin.ts';
import { webOrigins, webSecurityHeaders } from './security-headers.ts';

const WEB_ROOT = fileURLToPath(new URL('.', import.meta.url));

/** A path of the repository, by its path from the repository's root. */
function repository(path: string): string {
  return fileURLToPath(new URL(`../../${path}`, import.meta.url));
}

/**
 * The folders of the libraries the app may import: `paths` in apps/web/tsconfig.json, the one list
 * (Vite resolves the imports from it too, `resolve.tsconfigPaths`; apps/web/workspace.spec.ts checks
 * it against the repository's tsconfig.json).
 */
const LIBRARY_FOLDERS = Object.values(
  (
    JSON.parse(readFileSync(resolve(WEB_ROOT, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { paths: Record<string, [string]> };
    }
  ).compilerOptions.paths,
).map(([entry]) => dirname(resolve(WEB_ROOT, entry)));

/** The photo-album single-page app: `vite --config apps/web/vite.config.ts` serves it on :5173. */
export default defineConfig(({ command, isPreview, mode }) => {
  const origins = webOrigins(loadEnv(mode, WEB_ROOT, 'VITE_'));
  const headers = webSecurityHeaders(origins);
  // The dev server sends its policy per answer, with a nonce (csp-nonce-plugin.ts).
  const { 'Content-Security-Policy': _policy, ...devHeaders } = headers;
  return {
    root: WEB_ROOT,
    plugins: [react(), cspNoncePlugin(origins)],
    html: command === 'serve' && isPreview !== true ? { cspNonce: CSP_NONCE_PLACEHOLDER } : {},
    resolve: { tsconfigPaths: true },
    server: {
      port: 5173,
      strictPort: true,
      host: 'localhost',
      // No other origin reads what the dev server answers.
      cors: false,
      headers: devHeaders,
      // The dev server serves files by their path (`/@fs/...`): only the app, the sources of the
      // libraries it imports and Vite's own client (Vite adds it; pre-bundled dependencies are
      // served from its cache). The deny list holds even inside those folders.
      fs: {
        strict: true,
        allow: [WEB_ROOT, ...LIBRARY_FOLDERS],
        deny: [
          '.env',
          '.env.*',
          '*.{crt,pem,key,p12,pfx,cer,der,jks,keystore}',
          '*.mv.db',
          '.npmrc',
          '.yarnrc.yml',
          '**/.git/**',
          `${repository('.photoz')}/**`,
          `${repository('docker')}/**`,
        ],
      },
    },
    preview: { port: 5173, strictPort: true, host: 'localhost', cors: false, headers },
    build: { outDir: repository('dist/web'), emptyOutDir: true },
  };
});
