import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
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

/** What the attacking process is told (as JSON, its one argument). */
export interface AttackOptions {
  readonly albumUrl: string;
  readonly permissionUrl: string;
  readonly albumId: string;
  readonly attackerToken: string;
  readonly durationMs: number;
  readonly nestedBytes: number;
  readonly nestedWorkers: number;
  readonly slowSockets: number;
  readonly floodWorkers: number;
}

/** `{"name":[[[…]]]}` nested `depth` levels deep. */
export function nestedBody(depth: number): string {
  return `{"name":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

function count(tally: Record<string, number>, key: string | number): void {
  tally[String(key)] = (tally[String(key)] ?? 0) + 1;
}

/**
 * One client with a valid token attacks an album-service instance (and its permission service)
 * three ways at once for `durationMs`:
 *
 * - nested bodies: `POST /albums` with `{"name":[[[…]]]}` as deep as `nestedBytes` allows;
 * - slow bodies: `slowSockets` connections announcing a 100-byte body and sending a byte a second,
 *   each reopened when the server closes it;
 * - a flood: `floodWorkers` loops sending requests as fast as answers come (the album listing,
 *   another owner's album, and permission requests at the permission service).
 */
export async function attack(options: AttackOptions): Promise<HostileTraffic> {
  // Shared with the workers' loops, which end when the attack does.
  const attacking = { running: true };
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
    while (attacking.running) {
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
    while (attacking.running) {
      const target = floodTargets[turn % floodTargets.length];
      turn += 1;
      if (target !== undefined) {
        floodSent += 1;
        await send(target[0], target[1], floodStatuses);
      }
    }
  };

  const server = new URL(options.albumUrl);
  const sockets = new Set<Socket>();
  const slowWorker = async (): Promise<void> => {
    while (attacking.running) {
      slowOpened += 1;
      await new Promise<void>((resolve) => {
        const socket = connect(Number(server.port), server.hostname);
        sockets.add(socket);
        let timer: NodeJS.Timeout | undefined;
        socket.on('connect', () => {
          socket.write(
            `POST /albums HTTP/1.1\r\nHost: ${server.host}\r\nAuthorization: ${auth.authorization}\r\n` +
              'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
          );
          timer = setInterval(() => socket.write(' '), 1_000);
        });
        socket.on('close', () => {
          if (attacking.running) {
            slowClosedByServer += 1;
          }
          clearInterval(timer);
          sockets.delete(socket);
          resolve();
        });
        socket.on('error', () => undefined);
      });
      if (attacking.running) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };

  const workers = [
    ...Array.from({ length: options.nestedWorkers }, () => nestedWorker()),
    ...Array.from({ length: options.floodWorkers }, (_, index) => floodWorker(index)),
    ...Array.from({ length: options.slowSockets }, () => slowWorker()),
  ];
  await new Promise((resolve) => setTimeout(resolve, options.durationMs));
  attacking.running = false;
  for (const socket of sockets) {
    socket.destroy();
  }
  await Promise.all(workers);
  return { nestedSent, nestedStatuses, floodSent, floodStatuses, slowOpened, slowClosedByServer };
}

const ATTACKER = fileURLToPath(new URL('./hostile-client.ts', import.meta.url));

/**
 * Runs {@link attack} in a child process at the lowest CPU priority (`nice -n 19`): the attacker
 * stands for a client on another machine, so the cycles it spends making its traffic (a megabyte
 * per nested body) are not taken from the servers it attacks on this 2-core machine.
 */
function attackInChild(options: AttackOptions): Promise<HostileTraffic> {
  return new Promise((resolve, reject) => {
    const child = spawn('nice', ['-n', '19', process.execPath, ATTACKER, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`the attacking process exited with ${code}`));
        return;
      }
      resolve(JSON.parse(out) as HostileTraffic);
    });
  });
}

/** Adds `b`'s counts to `a`'s. */
function addTally(a: Record<string, number>, b: Readonly<Record<string, number>>): void {
  for (const [key, n] of Object.entries(b)) {
    a[key] = (a[key] ?? 0) + n;
  }
}

/**
 * The owner's read of her album at a fixed request rate (p99 at a rate, not the most a server can
 * do, is what a user feels), after a warm-up, in `rounds` pairs of `seconds` each: first alone
 * (quiet), then while one client with a valid token attacks the same instance ({@link attack}).
 * Each pair's quiet and attacked reads are measured back to back, so they share the machine's
 * background; the ratio reported is the median pair's, so one slow moment of either phase does not
 * decide it.
 */
export async function hostileScenario(
  options: Omit<AttackOptions, 'durationMs'> & {
    ownerToken: string;
    seconds: number;
    rounds: number;
    ownerRate: number;
    ownerConnections: number;
  },
): Promise<HostileResult & { readonly ratios: readonly number[] }> {
  const readUrl = `${options.albumUrl}/albums/${options.albumId}`;
  const measure = (seconds: number): Promise<LoadResult> =>
    load({
      url: readUrl,
      token: options.ownerToken,
      seconds,
      connections: options.ownerConnections,
      rate: options.ownerRate,
    });
  await measure(5);
  const pairs: { quiet: LoadResult; hostile: LoadResult; ratio: number }[] = [];
  const traffic = {
    nestedSent: 0,
    nestedStatuses: {} as Record<string, number>,
    floodSent: 0,
    floodStatuses: {} as Record<string, number>,
    slowOpened: 0,
    slowClosedByServer: 0,
  };
  for (let round = 0; round < options.rounds; round += 1) {
    const quiet = await measure(options.seconds);
    // The attack reaches its steady state before the owner's read is measured under it.
    const rampMs = 3_000;
    const attacking = attackInChild({
      albumUrl: options.albumUrl,
      permissionUrl: options.permissionUrl,
      albumId: options.albumId,
      attackerToken: options.attackerToken,
      durationMs: rampMs + options.seconds * 1000 + 1_000,
      nestedBytes: options.nestedBytes,
      nestedWorkers: options.nestedWorkers,
      slowSockets: options.slowSockets,
      floodWorkers: options.floodWorkers,
    });
    await new Promise((resolve) => setTimeout(resolve, rampMs));
    const hostile = await measure(options.seconds);
    const sent = await attacking;
    traffic.nestedSent += sent.nestedSent;
    traffic.floodSent += sent.floodSent;
    traffic.slowOpened += sent.slowOpened;
    traffic.slowClosedByServer += sent.slowClosedByServer;
    addTally(traffic.nestedStatuses, sent.nestedStatuses);
    addTally(traffic.floodStatuses, sent.floodStatuses);
    pairs.push({ quiet, hostile, ratio: hostile.p99Ms / Math.max(quiet.p99Ms, 1) });
  }
  const sorted = [...pairs].sort((x, y) => x.ratio - y.ratio);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) {
    throw new Error('no hostile rounds measured');
  }
  return {
    quiet: middle.quiet,
    hostile: middle.hostile,
    p99Ratio: middle.ratio,
    ratios: pairs.map((pair) => pair.ratio),
    traffic,
  };
}
