import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { PARTNER_PRINTSHOP_SECRET } from './setup/test-env.ts';
import { createAlbum } from './support/albums.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { accessTokens, clientToken } from './support/tokens.ts';

interface Problem {
  readonly type: string;
  readonly status: number;
  readonly detail: string;
  readonly [member: string]: unknown;
}

/**
 * Limits on abuse: per-caller rate limits (people and partners apart), per-owner quotas, and a
 * repeated permission request answered without Keycloak. Each service here runs with small limits
 * through the same variables production reads.
 */
describe('limits on abuse', () => {
  describe('rate limits', () => {
    let albums: RunningService;
    let alice: string;
    let jdoe: string;
    let printshop: string;

    beforeAll(async () => {
      albums = await startService(albumService, {
        RATE_LIMIT_READS: '5',
        RATE_LIMIT_WINDOW_SECONDS: '60',
      });
      [alice = '', jdoe = ''] = await accessTokens('alice', 'jdoe');
      printshop = (await clientToken('partner-printshop', PARTNER_PRINTSHOP_SECRET)).access_token;
    });
    afterAll(async () => {
      await albums.close();
    });

    it('answers 429 with Retry-After and the RateLimit fields once a caller is over the limit', async () => {
      const answers = [];
      for (let index = 0; index < 6; index += 1) {
        answers.push(await call(albums.url, 'GET', '/albums', { token: alice }));
      }
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 429]);
      const first = answers[0]?.headers;
      expect(first?.get('ratelimit-policy')).toBe('"user-read";q=5;w=60');
      expect(first?.get('ratelimit')).toMatch(/^"user-read";r=4;t=(60|59)$/);
      const refused = answers[5];
      expect(refused?.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused?.body).toMatchObject({
        type: 'urn:photoz:problem:rate-limited',
        status: 429,
        'violated-policies': ['user-read'],
      });
      expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused?.headers.get('ratelimit')).toMatch(/^"user-read";r=0;t=\d+$/);
      expect(refused?.headers.get('ratelimit-policy')).toBe('"user-read";q=5;w=60');
    });
  });
});
