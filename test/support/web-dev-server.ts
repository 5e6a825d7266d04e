import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { createServer, preview, type PreviewServer, type ViteDevServer } from 'vite';
import { ROOT } from '../../scripts/lib/paths.ts';

const CONFIG_FILE = join(ROOT, 'apps', 'web', 'vite.config.ts');

export interface RunningWebServer {
  readonly url: string;
  close(): Promise<void>;
}

function listening(server: ViteDevServer | PreviewServer): RunningWebServer {
  const address = server.httpServer?.address();
  if (address === null || address === undefined || typeof address === 'string') {
    throw new Error('the web server did not bind a TCP port');
  }
  return { url: `http://localhost:${address.port}`, close: () => server.close() };
}

/** The web app's Vite dev server with the project's configuration, on a free port. */
export async function startWebDevServer(): Promise<RunningWebServer> {
  const server = await createServer({
    configFile: CONFIG_FILE,
    logLevel: 'silent',
    clearScreen: false,
    server: { port: 0 },
  });
  await server.listen();
  return listening(server);
}

/** `vite preview` of the app built into `outDir`, with the project's configuration, on a free port. */
export async function startWebPreview(outDir: string): Promise<RunningWebServer> {
  const server = await preview({
    configFile: CONFIG_FILE,
    logLevel: 'silent',
    clearScreen: false,
    build: { outDir },
    preview: { port: 0 },
  });
  return listening(server);
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * One HTTP request with the path sent exactly as given: `fetch` would resolve `..` and `%2e%2e`
 * segments before sending, which is what an attacker's raw client does not do.
 */
export function rawRequest(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolveAnswer, reject) => {
    const outgoing = request(
      { hostname, port, path, method: options.method ?? 'GET', headers: options.headers },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          resolveAnswer({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}
