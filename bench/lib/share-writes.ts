/**
 * `shares-1k-vs-1`: what each sharing write costs on an album that N people hold a share on,
 * against the same write on an album with one share. Each repetition takes fresh parties, one for
 * each album, and runs on both albums in turn (which one first alternates): a share to a new
 * party (`PUT` with two scopes), its narrowing (`PUT` with one), its revocation (`DELETE`), and
 * the approval of a new person's request (`POST /permission-requests` by them, unmeasured, then the
 * owner's `approve`; the share it made is revoked afterwards, unmeasured, so that the album keeps
 * its size). The figure per write is the ratio of the medians.
 *
 * Plain TypeScript that Node runs with type stripping (no decorators, enums or parameter
 * properties): the benchmark orchestrator imports it from a plain node script.
 */
import { callJson, expectStatus } from './api.ts';
import { request, type ScalePopulation, seedCall } from './population.ts';

export const SHARE_WRITES = ['share', 'narrow', 'approve', 'revoke'] as const;
/** Timed too, reported beside the writes: the new person's request that the owner approves. */
export type ShareWrite = (typeof SHARE_WRITES)[number] | 'request';

export interface ShareWritePoint {
  readonly write: ShareWrite;
  readonly size: number;
  readonly smallMs: number;
  readonly largeMs: number;
  readonly ratio: number;
  readonly repetitions: number;
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const low = sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
  const high = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  return (low + high) / 2;
}

/** Runs `call` and returns how long it took, in milliseconds, after checking its status. */
async function timed(
  what: string,
  expected: number,
  call: () => Promise<{ status: number; body: unknown }>,
): Promise<number> {
  const started = performance.now();
  const response = await call();
  const ms = performance.now() - started;
  expectStatus(what, response, expected);
  return ms;
}

/**
 * The four writes on the population's one-share and crowded albums, `repetitions` times (after
 * `warmUp` discarded ones); the crowded album holds `population.crowdedShares` shares.
 */
export async function measureShareWrites(
  population: ScalePopulation,
  permissionUrl: string,
  options: { repetitions: number; warmUp: number },
): Promise<ShareWritePoint[]> {
  const total = options.repetitions + options.warmUp;
  const albums = [
    { key: 'small', albumId: population.single },
    { key: 'large', albumId: population.crowded },
  ] as const;
  const sharee = (key: string, index: number) => population.username(`w-${key}-`, index);
  const asker = (key: string, index: number) => population.username(`a-${key}-`, index);
  await Promise.all([
    population.createUsers(
      albums.flatMap(({ key }) => Array.from({ length: total }, (_, index) => sharee(key, index))),
      false,
    ),
    population.createUsers(
      albums.flatMap(({ key }) => Array.from({ length: total }, (_, index) => asker(key, index))),
      true,
    ),
  ]);
  const times = new Map<string, number[]>();
  const keep = (write: ShareWrite, key: string, index: number, ms: number) => {
    if (index >= options.warmUp) {
      const list = times.get(`${write} ${key}`) ?? [];
      list.push(ms);
      times.set(`${write} ${key}`, list);
    }
  };
  const owner = population.parties.owner;
  for (let index = 0; index < total; index += 1) {
    const order = index % 2 === 0 ? albums : [...albums].reverse();
    for (const { key, albumId } of order) {
      const ownerToken = await population.token(owner);
      const party = sharee(key, index);
      const path = `/albums/${albumId}/shares/${party}`;
      keep(
        'share',
        key,
        index,
        await timed('share', 200, () =>
          callJson(permissionUrl, 'PUT', path, {
            token: ownerToken,
            body: { scopes: ['album:view', 'album:edit'] },
          }),
        ),
      );
      keep(
        'narrow',
        key,
        index,
        await timed('narrow', 200, () =>
          callJson(permissionUrl, 'PUT', path, {
            token: ownerToken,
            body: { scopes: ['album:view'] },
          }),
        ),
      );
      keep(
        'revoke',
        key,
        index,
        await timed('revoke', 204, () =>
          callJson(permissionUrl, 'DELETE', path, { token: ownerToken }),
        ),
      );
      const requester = asker(key, index);
      const requesterToken = await population.token(requester);
      const asked = performance.now();
      const requestId = await request(permissionUrl, requesterToken, albumId, ['album:view']);
      // Not in the figure (the owner's answer is): Keycloak evaluates every grant on the resource.
      keep('request', key, index, performance.now() - asked);
      keep(
        'approve',
        key,
        index,
        await timed('approve', 200, () =>
          callJson(
            permissionUrl,
            'POST',
            `/permission-requests/${encodeURIComponent(requestId)}/approve`,
            { token: ownerToken, body: {} },
          ),
        ),
      );
      // The album keeps its size for the next repetition.
      expectStatus(
        'revoke the approved share',
        await seedCall(() =>
          callJson(permissionUrl, 'DELETE', `/albums/${albumId}/shares/${requester}`, {
            token: ownerToken,
          }),
        ),
        204,
      );
    }
  }
  return [...SHARE_WRITES, 'request' as const].map((write) => {
    const smallMs = medianOf(times.get(`${write} small`) ?? []);
    const largeMs = medianOf(times.get(`${write} large`) ?? []);
    return {
      write,
      size: population.crowdedShares,
      smallMs,
      largeMs,
      ratio: largeMs / smallMs,
      repetitions: options.repetitions,
    };
  });
}
