/**
 * The nginx configuration of the web image (docker/web.Dockerfile), written from the same header
 * definition as the dev server's and `vite preview`'s: `node apps/web/nginx-config.ts` prints it
 * for the `VITE_*` addresses in the environment.
 */
import { webOrigins, webSecurityHeaders } from './security-headers.ts';

/** A header value nginx takes literally inside double quotes: no quote, backslash or variable. */
function quoted(value: string): string {
  if (/["\\$\n\r]/.test(value)) {
    throw new Error(`a header value nginx would not take literally: ${value}`);
  }
  return `"${value}"`;
}

/**
 * The server block: the headers are set at server level with `always` (error answers too) and no
 * location sets its own, which would drop every inherited `add_header`.
 */
export function nginxConfig(headers: Readonly<Record<string, string>>): string {
  return [
    'server {',
    '  listen 5173;',
    '  root /usr/share/nginx/html;',
    '  server_tokens off;',
    ...Object.entries(headers).map(
      ([name, value]) => `  add_header ${name} ${quoted(value)} always;`,
    ),
    '  # A single-page app: every path that is not a file serves index.html.',
    '  location / {',
    '    try_files $uri /index.html;',
    '  }',
    '}',
    '',
  ].join('\n');
}

if (import.meta.main) {
  process.stdout.write(nginxConfig(webSecurityHeaders(webOrigins(process.env))));
}
