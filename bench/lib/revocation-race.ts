import { performance } from 'node:perf_hooks';
import { callJson, expectStatus, registeredAlbum } from './api.ts';

/** What the revocation race saw. */
export interface RevocationRaceResult {
  readonly requests: number;
  /** Requests that started after the revocation's `DELETE` returned. */
  readonly startedAfterRevocation: number;
  /** Of those, how many were served the album anyway: must be 0. */
  readonly servedAfterRevocation: number;
  /** Requests in flight while the revocation ran, served or not (either is correct). */
  readonly overlapping: number;
  readonly revocationMs: number;
}

/**
 * P5: jdoe reads alice's shared album with an RPT from `workers` loops spread over every album
 * service instance, as fast as they go; meanwhile alice revokes the share. Every request's start
 * and end are timed in this process, on one clock: a request that started after the `DELETE`
 * returned must not be served, on any instance.
 */
export async function revocationRace(options: {
  albumUrls: readonly string[];
  permissionUrl: string;
  ownerToken: string;
  requesterToken: string;
  rptFor: (resourceId: string) => Promise<string>;
  workers: number;
  beforeMs: number;
  afterMs: number;
}): Promise<RevocationRaceResult> {
  const album = await registeredAlbum(options.albumUrls[0] ?? '', options.ownerToken, 'Revoked');
  expectStatus(
    'share',
    await callJson(options.permissionUrl, 'PUT', `/albums/${album.id}/shares/jdoe`, {
      token: options.ownerToken,
      body: { scopes: ['album:view'] },
    }),
    200,
  );
  const rpt = await options.rptFor(album.resourceId);
  const samples: { start: number; end: number; status: number }[] = [];
  let stopAt = Number.POSITIVE_INFINITY;
  const worker = async (index: number): Promise<void> => {
    const base = options.albumUrls[index % options.albumUrls.length] ?? '';
    while (performance.now() < stopAt) {
      const start = performance.now();
      const response = await fetch(`${base}/albums/${album.id}`, {
        headers: { authorization: `Bearer ${rpt}` },
      });
      await response.arrayBuffer();
      samples.push({ start, end: performance.now(), status: response.status });
    }
  };
  const workers = Array.from({ length: options.workers }, (_, index) => worker(index));
  await new Promise((resolve) => setTimeout(resolve, options.beforeMs));
  const revokeStart = performance.now();
  expectStatus(
    'revoke',
    await callJson(options.permissionUrl, 'DELETE', `/albums/${album.id}/shares/jdoe`, {
      token: options.ownerToken,
    }),
    204,
  );
  const revoked = performance.now();
  stopAt = revoked + options.afterMs;
  await Promise.all(workers);
  const after = samples.filter((sample) => sample.start > revoked);
  const servedBefore = samples.filter((s) => s.end < revokeStart && s.status === 200).length;
  if (servedBefore === 0) {
    throw new Error('the revocation race never read the shared album before the revocation');
  }
  return {
    requests: samples.length,
    startedAfterRevocation: after.length,
    servedAfterRevocation: after.filter((sample) => sample.status === 200).length,
    overlapping: samples.filter((s) => s.start <= revoked && s.end >= revokeStart).length,
    revocationMs: revoked - revokeStart,
  };
}
