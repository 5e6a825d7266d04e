import { connect, type Socket } from 'node:net';
import { load, type LoadResult } from './load.ts';

/** What the hostile client sent and what the server answered it, by kind. */
export interface HostileTraffic {
  readonly nestedSent: number;
  readonly nestedStatuses: Readonly<Record<string, number>>;
  readonly floodSent: number;
  readonly floodStatuses: Readonly<Record<string, number>>;
  /** Slow-body connections opened, and how many of them the server closed before we did. */
  readonly slowOpened: number;
  readonly slowClosedByServer: number;
}

export interface HostileResult {
  readonly quiet: LoadResult;
  readonly hostile: LoadResult;
  /** The owner's read p99 under attack over its quiet p99: must stay within 2. */
  readonly p99Ratio: number;
  readonly traffic: HostileTraffic;
}

/** `{"name":[[[…]]]}` nested `depth` levels deep. */
export function nestedBody(depth: number): string {
  return `{"name":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

function count(tally: Record<string, number>, key: string | number): void {
  tally[String(key)] = (tally[String(key)] ?? 0) + 1;
}

/**
 * One client with a valid token attacks one album-service instance three ways at once, while the
 * owner's read of her album is measured at a fixed request rate (p99 at a rate, not the most a
 * server can do, is what a user feels):
 *
 * - nested bodies: `POST /albums` with `{"name":[[[…]]]}` as deep as `nestedBytes` allows;
 * - slow bodies: `slowSockets` connections announcing a 100-byte body and sending a byte a second,
 *   each reopened when the server closes it;
 * - a flood: `floodWorkers` loops sending requests as fast as answers come (the album listing,
 *   another owner's album, and permission requests at the permission service).
 *
 * The owner's read is measured first alone (quiet), then under attack, for `seconds` each.
 */
export async function hostileScenario(options: {
  albumUrl: string;
  permissionUrl: string;
  albumId: string;
  ownerToken: string;
  attackerToken: string;
  seconds: number;
  ownerRate: number;
  ownerConnections: number;
  nestedBytes: number;
  nestedWorkers: number;
  slowSockets: number;
  floodWorkers: number;
}): Promise<HostileResult> {
  const readUrl = `${options.albumUrl}/albums/${options.albumId}`;
  const measure = (): Promise<LoadResult> =>
    load({
      url: readUrl,
      token: options.ownerToken,
      seconds: options.seconds,
      connections: options.ownerConnections,
      rate: options.ownerRate,
    });
  const quiet = await measure();

  // Shared with the workers' loops, which end when the measurement does.
  const attack = { running: true };
  const nestedStatuses: Record<string, number> = {};
  const floodStatuses: Record<string, number> = {};
  let nestedSent = 0;
  let floodSent = 0;
  let slowOpened = 0;
  let slowClosedByServer = 0;
  const auth = { authorization: `Bearer ${options.attackerToken}` };
  const body = nestedBody(Math.floor((options.nestedBytes - 12) / 2));

  const send = async (
    url: string,
    init: RequestInit,
    tally: Record<string, number>,
  ): Promise<void> => {
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
      await response.arrayBuffer();
      count(tally, response.status);
    } catch {
      count(tally, 'error');
    }
  };

  const nestedWorker = async (): Promise<void> => {
    while (attack.running) {
      nestedSent += 1;
      await send(
        `${options.albumUrl}/albums`,
        { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body },
        nestedStatuses,
      );
    }
  };

  const floodTargets: readonly (readonly [string, RequestInit])[] = [
    [`${options.albumUrl}/albums?limit=100`, { headers: auth }],
    [`${options.albumUrl}/albums/${options.albumId}`, { headers: auth }],
    [
      `${options.permissionUrl}/permission-requests`,
      {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ albumId: options.albumId, scopes: ['album:view'] }),
      },
    ],
  ];
  const floodWorker = async (index: number): Promise<void> => {
    let turn = index;
    while (attack.running) {
      const [url, init] = floodTargets[turn % floodTargets.length] ?? floodTargets[0]!;
      turn += 1;
      floodSent += 1;
      await send(url, init, floodStatuses);
    }
  };

  const target = new URL(options.albumUrl);
  const sockets = new Set<Socket>();
  const slowWorker = async (): Promise<void> => {
    while (attack.running) {
      slowOpened += 1;
      await new Promise<void>((resolve) => {
        const socket = connect(Number(target.port), target.hostname);
        sockets.add(socket);
        let timer: NodeJS.Timeout | undefined;
        const done = (): void => {
          clearInterval(timer);
          sockets.delete(socket);
          resolve();
        };
        socket.on('connect', () => {
          socket.write(
            `POST /albums HTTP/1.1\r\nHost: ${target.host}\r\nAuthorization: ${auth.authorization}\r\n` +
              'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
          );
          timer = setInterval(() => socket.write(' '), 1_000);
        });
        socket.on('data', () => {
          // An answer (408, 400, 413) means the server gave up on the body.
        });
        socket.on('close', () => {
          if (attack.running) {
            slowClosedByServer += 1;
          }
          done();
        });
        socket.on('error', () => undefined);
      });
      if (attack.running) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };

  const attackers = [
    ...Array.from({ length: options.nestedWorkers }, () => nestedWorker()),
    ...Array.from({ length: options.floodWorkers }, (_, index) => floodWorker(index)),
    ...Array.from({ length: options.slowSockets }, () => slowWorker()),
  ];
  // Let the attack reach its steady state before the owner's read is measured under it.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const hostile = await measure();
  attack.running = false;
  for (const socket of sockets) {
    socket.destroy();
  }
  await Promise.all(attackers);
  return {
    quiet,
    hostile,
    p99Ratio: hostile.p99Ms / Math.max(quiet.p99Ms, 1),
    traffic: {
      nestedSent,
      nestedStatuses,
      floodSent,
      floodStatuses,
      slowOpened,
      slowClosedByServer,
    },
  };
}
