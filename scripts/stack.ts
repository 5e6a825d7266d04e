/**
 * `npm start`: the whole local stack. Fetches the pinned Keycloak (cached outside the work tree),
 * starts it with the dev realm unless one already runs, prepares PostgreSQL (database, migrations),
 * starts the development mail inbox (a real SMTP server, unless `SMTP_URL` names one), builds and
 * starts both services and the web app, waits until all are ready, and stops everything on
 * Ctrl-C/SIGTERM.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DATABASE_URL } from '../libs/common/src/config/service-config.ts';
import { ensureDatabase } from '../libs/common/src/database/postgres.ts';
import { migrateAll, postgresReachable } from './lib/database.ts';
import { ALBUM_API_SECRET, ALBUM_API_UUID } from './dev-realm/realm.ts';
import {
  keycloakEndpoint,
  realmIsServed,
  startDevKeycloak,
  waitForKeycloak,
} from './lib/keycloak.ts';
import { LOG_DIR, ROOT } from './lib/paths.ts';
import { MailInbox } from './lib/mail-inbox.ts';
import { checkJava, MissingPrerequisiteError } from './lib/prerequisites.ts';
import { waitUntilAnswering } from './lib/processes.ts';
import { Supervisor } from './lib/supervisor.ts';
import { SERVICE_NODE_FLAGS } from './lib/service-runtime.ts';

const DATABASE_URL = process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL;

const SERVICES = [
  {
    name: 'album-service',
    port: process.env['ALBUM_SERVICE_PORT'] ?? '3000',
    metricsPort: process.env['ALBUM_SERVICE_METRICS_PORT'] ?? '9101',
  },
  {
    name: 'permission-service',
    port: process.env['PERMISSION_SERVICE_PORT'] ?? '3001',
    metricsPort: process.env['PERMISSION_SERVICE_METRICS_PORT'] ?? '9102',
  },
] as const;

/** The web app's port: the dev realm lets `photoz-web` log in only from http://localhost:5173. */
const WEB_PORT = 5173;
/** The development mail inbox: SMTP, and the page that lists what it received. */
const MAIL_SMTP_PORT = Number(process.env['MAIL_SMTP_PORT'] ?? '1025');
const MAIL_WEB_PORT = Number(process.env['MAIL_WEB_PORT'] ?? '1080');
const VITE = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');

const supervisor = new Supervisor('stack');
const { say } = supervisor;

async function main(): Promise<void> {
  mkdirSync(LOG_DIR, { recursive: true });

  if (!(await postgresReachable(DATABASE_URL))) {
    throw new MissingPrerequisiteError(
      `PostgreSQL does not answer at ${new URL(DATABASE_URL).host}: install and start PostgreSQL (for example \`apt-get install postgresql\`), or set DATABASE_URL to a server you have.`,
    );
  }
  const endpoint = keycloakEndpoint();
  const keycloakRunning = await realmIsServed(endpoint);
  if (!keycloakRunning) {
    checkJava();
  }

  if (await ensureDatabase(DATABASE_URL)) {
    say(`created database ${new URL(DATABASE_URL).pathname.slice(1)}`);
  }
  for (const [service, ran] of Object.entries(await migrateAll(DATABASE_URL))) {
    say(`${service}: ${ran.length === 0 ? 'schema up to date' : `ran ${ran.join(', ')}`}`);
  }

  if (keycloakRunning) {
    say(`using the Keycloak already running at ${endpoint.url}`);
  } else {
    const keycloak = startDevKeycloak(endpoint, join(LOG_DIR, 'keycloak.log'), say);
    supervisor.watch('keycloak', keycloak, 'stopping the stack');
    await waitForKeycloak(endpoint, keycloak);
    say('Keycloak is ready');
  }

  // Notification emails go to the SMTP server SMTP_URL names, else to the inbox started here.
  let smtpUrl = process.env['SMTP_URL'];
  let mailWeb: string | undefined;
  if (smtpUrl === undefined) {
    const inbox = new MailInbox();
    try {
      await inbox.start(MAIL_SMTP_PORT);
      mailWeb = await inbox.serveWeb(MAIL_WEB_PORT);
    } catch (error) {
      throw new Error(
        `the development mail inbox cannot listen on ports ${MAIL_SMTP_PORT} and ${MAIL_WEB_PORT} (${error instanceof Error ? error.message : String(error)}): set MAIL_SMTP_PORT and MAIL_WEB_PORT, or SMTP_URL to a mail server you have`,
        { cause: error },
      );
    }
    smtpUrl = inbox.smtpUrl;
    say(`mail inbox: SMTP on ${smtpUrl}, mail read at ${mailWeb}`);
  }

  say('building the services ...');
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) {
    throw new Error('the build failed');
  }

  // The photo-album web app as a user gets it: built, then served by `vite preview`, which serves
  // only the build (the dev server, `npm run web`, transforms and serves source files for HMR).
  const webEnv = {
    ...process.env,
    VITE_ALBUM_API: `http://localhost:${SERVICES[0].port}`,
    VITE_PERMISSION_API: `http://localhost:${SERVICES[1].port}`,
    VITE_KEYCLOAK_URL: endpoint.url,
  };
  const webConfig = join(ROOT, 'apps', 'web', 'vite.config.ts');
  say('building the web app ...');
  const webBuild = spawnSync(process.execPath, [VITE, 'build', '--config', webConfig], {
    cwd: ROOT,
    env: webEnv,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (webBuild.status !== 0) {
    throw new Error('the web app did not build');
  }

  const services = SERVICES.map(({ name, port, metricsPort }) => {
    const log = openSync(join(LOG_DIR, `${name}.log`), 'a');
    const child = spawn(
      process.execPath,
      [...SERVICE_NODE_FLAGS, join(ROOT, 'dist', 'apps', name, 'src', 'main.js')],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: port,
          METRICS_PORT: metricsPort,
          DATABASE_URL,
          KEYCLOAK_URL: endpoint.url,
          // The dev realm's demo secret (docker/keycloak/README.md, dev-only) and album-api's id.
          KEYCLOAK_CLIENT_SECRET: ALBUM_API_SECRET,
          KEYCLOAK_CLIENT_UUID: ALBUM_API_UUID,
          ...(name === 'permission-service' ? { SMTP_URL: smtpUrl } : {}),
        },
        stdio: ['ignore', log, log],
        detached: true,
      },
    );
    supervisor.watch(name, child, 'stopping the stack');
    return { name, port, child };
  });
  // The web app, talking to the services above.
  const webLog = openSync(join(LOG_DIR, 'web.log'), 'a');
  const web = spawn(
    process.execPath,
    [VITE, 'preview', '--config', webConfig, '--port', String(WEB_PORT)],
    { cwd: ROOT, env: webEnv, stdio: ['ignore', webLog, webLog], detached: true },
  );
  supervisor.watch('web', web, 'stopping the stack');
  await Promise.all([
    ...services.map(({ name, port, child }) =>
      waitUntilAnswering(`http://127.0.0.1:${port}/health/ready`, child, {
        name,
        see: join(LOG_DIR, `${name}.log`),
      }),
    ),
    waitUntilAnswering(`http://localhost:${WEB_PORT}/`, web, {
      name: 'web',
      see: join(LOG_DIR, 'web.log'),
    }),
  ]);

  console.log(`
Photoz is up (logs in .photoz/logs). Ctrl-C stops everything.

  web app              http://localhost:${WEB_PORT}   (log in as alice / alice, dev-only)
  album-service        http://localhost:${SERVICES[0].port}   (OpenAPI: /docs)
  permission-service   http://localhost:${SERVICES[1].port}   (OpenAPI: /docs)
  metrics (Prometheus) http://127.0.0.1:${SERVICES[0].metricsPort}/metrics   http://127.0.0.1:${SERVICES[1].metricsPort}/metrics
  Keycloak             ${endpoint.url}   (admin console: admin / admin, dev-only)
  mail                 ${mailWeb === undefined ? `sent through ${new URL(smtpUrl).host} (SMTP_URL)` : `${mailWeb}   (notification emails; JSON: /messages)`}
  realm                ${endpoint.url}/realms/photoz

Demo users (dev-only, password = username): alice, jdoe, bob (role user), admin (roles user, admin)
  TOKEN=$(curl -s ${endpoint.url}/realms/photoz/protocol/openid-connect/token \\
    -d grant_type=password -d client_id=photoz-cli -d username=alice -d password=alice | jq -r .access_token)
  curl -H "Authorization: Bearer $TOKEN" http://localhost:${SERVICES[0].port}/me
`);
}

supervisor.run(main);
