/**
 * `npm run bench`: the cost of protecting GET /albums/:id, measured side by side in one process
 * tree against the real Keycloak and PostgreSQL. The album service runs in this process; a load
 * generator (autocannon) runs in a child process, one route at a time, in interleaved rounds:
 *
 * - no auth:        the same service call behind a `@Public()` route of the same app (the floor);
 * - owner token:    the real route: local JWT validation, @Scopes owner check;
 * - RPT:            the real route for a user holding an RPT (adds the current-grant lookup);
 * - introspection:  the common alternative, asking Keycloak about the token on every request.
 *
 * Results are printed as a table with ratios and written to bench/results/ (not committed).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller, Get, Headers, Param, UnauthorizedException } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Public } from '@app/common';
import { KeycloakDiscovery } from '@app/keycloak';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { AlbumService } from '../apps/album-service/src/albums/album.service.ts';
import { createServiceApp, type ServiceDefinition } from '@app/platform';
import type { AlbumResponseDto } from '../apps/album-service/src/albums/album.dto.ts';
import type { AlbumServiceConfig } from '../apps/album-service/src/config.ts';
import { ALBUM_API_SECRET } from '../test/setup/test-env.ts';
import { serviceEnv } from '../test/setup/test-env.ts';
import { createAlbum, registeredResourceId } from '../test/support/albums.ts';
import { basic, login } from '../test/support/tokens.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { call, startService } from '../test/support/service-harness.ts';
import { requestRpt } from '../test/support/uma.ts';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

const DURATION_SECONDS = Number(process.env['BENCH_DURATION_SECONDS'] ?? 5);
/** Rounds over all routes; each route's median round is reported, so a noisy moment skews none. */
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

interface LoadResult {
  readonly name: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

/** Runs autocannon in a child process against one URL; returns its summary. */
function load(
  name: string,
  url: string,
  token: string | undefined,
  seconds: number,
): Promise<LoadResult> {
  const args = [AUTOCANNON, '-j', '-c', String(CONNECTIONS), '-d', String(seconds)];
  if (token !== undefined) {
    args.push('-H', `authorization=Bearer ${token}`);
  }
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`autocannon exited with ${code}`));
        return;
      }
      const summary = JSON.parse(out) as {
        requests: { average: number };
        latency: { p50: number; p99: number };
        non2xx: number;
        errors: number;
      };
      resolve({
        name,
        requestsPerSecond: summary.requests.average,
        p50Ms: summary.latency.p50,
        p99Ms: summary.latency.p99,
        non2xx: summary.non2xx,
        errors: summary.errors,
      });
    });
  });
}

/**
 * The comparison routes, in the same Nest application and pipeline as the real one (global guards,
 * filter, hooks): `@Public()` so that only the way of checking the caller differs.
 */
@Controller('bench')
class ComparisonController {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly discovery: KeycloakDiscovery,
  ) {}

  private get albums(): AlbumService {
    return this.moduleRef.get(AlbumService, { strict: false });
  }

  @Public()
  @Get('no-auth/albums/:id')
  noAuth(@Param('id') id: string): Promise<AlbumResponseDto> {
    return this.albums.get(id);
  }

  /** What a module that asks Keycloak on every request does: RFC 7662 introspection. */
  @Public()
  @Get('introspection/albums/:id')
  async introspection(
    @Headers('authorization') authorization: string | undefined,
    @Param('id') id: string,
  ): Promise<AlbumResponseDto> {
    const endpoint = (await this.discovery.get()).introspection_endpoint ?? '';
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        authorization: basic('album-api', ALBUM_API_SECRET),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: (authorization ?? '').replace(/^Bearer /, '') }),
    });
    const claims = (await response.json()) as { active?: boolean; aud?: string | string[] };
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.active !== true || !audience.includes('album-api')) {
      throw new UnauthorizedException();
    }
    return this.albums.get(id);
  }
}

/** The album service with the comparison routes beside its own. */
const benchService: ServiceDefinition<AlbumServiceConfig> = {
  ...albumService,
  module: (config) => ({
    module: class BenchModule {},
    imports: [albumService.module(config)],
    controllers: [ComparisonController],
  }),
};

describe('GET /albums/:id under load', () => {
  let app: NestFastifyApplication;
  let base: string;

  beforeAll(async () => {
    app = await createServiceApp(benchService, albumService.loadConfig(serviceEnv()), ['error']);
    await app.listen(0, '127.0.0.1');
    await app.get(KeycloakDiscovery).get();
    const address = app.getHttpServer().address();
    base =
      typeof address === 'object' && address !== null ? `http://127.0.0.1:${address.port}` : '';
  });
  afterAll(async () => {
    // Requests the load generator left in flight finish before the pool closes.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await app.close();
  });

  it('reports the cost of each way of protecting the route', async () => {
    const alice = (await login('alice')).access_token;
    const jdoe = (await login('jdoe')).access_token;
    const album = await createAlbum(base, alice, 'Benchmark');
    const resourceId = await registeredResourceId(base, alice, album.id);
    // Shared the way owners share, so that the grant is in the record RPTs are held to.
    const permissions = await startService(permissionService);
    const shared = await call(permissions.url, 'PUT', `/albums/${album.id}/shares/jdoe`, {
      token: alice,
      body: { scopes: ['album:view'] },
    });
    await permissions.close();
    expect(shared.status).toBe(200);
    const rpt = (await requestRpt(jdoe, [`${resourceId}#album:view`])).body.access_token ?? '';

    const routes: [string, string, string | undefined][] = [
      ['no auth (floor)', `/bench/no-auth/albums/${album.id}`, undefined],
      ['owner token, local validation', `/albums/${album.id}`, alice],
      ['RPT, local validation + current grant', `/albums/${album.id}`, rpt],
      [
        'introspection per request (common alternative)',
        `/bench/introspection/albums/${album.id}`,
        alice,
      ],
    ];
    for (const [name, path, token] of routes) {
      await load(`${name} (warm-up)`, `${base}${path}`, token, 2);
    }
    const rounds: LoadResult[][] = routes.map(() => []);
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [index, [name, path, token]] of routes.entries()) {
        rounds[index]?.push(await load(name, `${base}${path}`, token, DURATION_SECONDS));
      }
    }
    for (const result of rounds.flat()) {
      expect({ route: result.name, errors: result.errors, non2xx: result.non2xx }).toEqual({
        route: result.name,
        errors: 0,
        non2xx: 0,
      });
    }

    const results = rounds.map((measured) => {
      const sorted = [...measured].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
      return sorted[Math.floor(sorted.length / 2)] as LoadResult;
    });
    const [floor, owner, withRpt, introspection] = results as [
      LoadResult,
      LoadResult,
      LoadResult,
      LoadResult,
    ];
    const rows = results.map((result) => ({
      route: result.name,
      'req/s': Math.round(result.requestsPerSecond),
      'p50 ms': result.p50Ms,
      'p99 ms': result.p99Ms,
      'vs no auth': (result.requestsPerSecond / floor.requestsPerSecond).toFixed(2),
    }));
    console.table(rows);
    const ratios = {
      ownerVsNoAuth: owner.requestsPerSecond / floor.requestsPerSecond,
      rptVsNoAuth: withRpt.requestsPerSecond / floor.requestsPerSecond,
      ownerVsIntrospection: owner.requestsPerSecond / introspection.requestsPerSecond,
    };
    console.log(
      `owner route: ${ratios.ownerVsNoAuth.toFixed(2)}x the throughput of the unprotected route, ` +
        `${ratios.ownerVsIntrospection.toFixed(1)}x the throughput of introspection per request ` +
        `(${CONNECTIONS} connections, median of ${ROUNDS} rounds of ${DURATION_SECONDS} s per route)`,
    );
    const dir = join(import.meta.dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `album-read-${new Date().toISOString().replaceAll(':', '-')}.json`),
      `${JSON.stringify({ connections: CONNECTIONS, durationSeconds: DURATION_SECONDS, rounds, results, ratios }, null, 2)}\n`,
    );
  });
});
