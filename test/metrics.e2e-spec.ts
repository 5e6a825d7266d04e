import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { log, ManagementServer } from '@app/observability';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { createAlbum, registeredResourceId } from './support/albums.ts';
import { type Exposition, parsePrometheusText, sampleValue } from './support/prometheus.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { accessTokens, decodeJwt } from '../scripts/dev-realm/tokens.ts';
import { exchangeTicket } from '../scripts/dev-realm/rpt.ts';
import { parseUmaChallenge } from './support/uma.ts';

const LOG_FILE = process.env['LOG_FILE'] ?? '';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const JWT = /eyJ[A-Za-z0-9_-]{5,}\./;

function flushLogs(): Promise<void> {
  return new Promise((resolve, reject) => {
    log.flush((error) => (error ? reject(error) : resolve()));
  });
}

/** A token whose payload was altered after signing: refused as `signature invalid`. */
function altered(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  claims['realm_access'] = { roles: ['user', 'admin'] };
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

/**
 * What the services count, as Prometheus scrapes it from the management port: both services run in
 * this process and share its registry, as their sums.
 */
describe('metrics', () => {
  let albums: RunningService;
  let permissions: RunningService;
  const management = new ManagementServer({ host: '127.0.0.1', port: 0 });
  let alice: string;
  let jdoe: string;

  beforeAll(async () => {
    [albums, permissions] = await Promise.all([
      startService(albumService),
      startService(permissionService),
    ]);
    await management.start();
    [alice = '', jdoe = ''] = await accessTokens('alice', 'jdoe');
  });
  afterAll(async () => {
    await management.stop();
    await Promise.all([albums.close(), permissions.close()]);
  });

  /** One scrape over HTTP, which must parse as the text format without a single error. */
  async function scrape(): Promise<Exposition> {
    const response = await fetch(`${management.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const exposition = parsePrometheusText(await response.text());
    expect(exposition.errors).toEqual([]);
    return exposition;
  }

  it('serves a valid exposition with the pool gauge, event-loop lag and low-cardinality labels', async () => {
    // Something in every family worth reading: a request on each service.
    expect((await call(albums.url, 'GET', '/albums', { token: alice })).status).toBe(200);
    expect((await call(permissions.url, 'GET', '/me', { token: alice })).status).toBe(200);
    const metrics = await scrape();

    expect(metrics.families.get('photoz_db_pool_connections')?.type).toBe('gauge');
    for (const state of ['total', 'idle', 'waiting']) {
      expect(
        metrics.families
          .get('photoz_db_pool_connections')
          ?.samples.some((sample) => sample.labels['state'] === state),
      ).toBe(true);
    }
    // Both services have queried their database by now.
    expect(sampleValue(metrics, 'photoz_db_pool_connections', { state: 'total' })).toBeGreaterThan(
      0,
    );
    // The outbox backlog, read at the scrape.
    expect(
      sampleValue(metrics, 'photoz_uma_outbox_events', { status: 'pending' }),
    ).toBeGreaterThanOrEqual(0);
    expect(
      sampleValue(metrics, 'photoz_uma_outbox_events', { status: 'parked' }),
    ).toBeGreaterThanOrEqual(0);
    expect(sampleValue(metrics, 'photoz_uma_outbox_oldest_age_seconds', {})).toBeGreaterThanOrEqual(
      0,
    );
    expect(metrics.families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(metrics.families.get('nodejs_eventloop_lag_seconds')?.samples).toHaveLength(1);
    expect(metrics.families.get('http_request_duration_seconds')?.type).toBe('histogram');

    // No id, token or URL in any label: route patterns and fixed names only.
    for (const family of metrics.families.values()) {
      for (const sample of family.samples) {
        for (const [label, value] of Object.entries(sample.labels)) {
          expect(UUID.test(value), `${sample.name}{${label}="${value}"}`).toBe(false);
          expect(JWT.test(value), `${sample.name}{${label}}`).toBe(false);
        }
      }
    }
  });

  it('moves the counters of challenges, RPT reads, refused tokens, revocations, routes and Keycloak calls', async () => {
    const before = await scrape();

    const album = await createAlbum(albums.url, alice, 'Counted');
    const resourceId = await registeredResourceId(albums.url, alice, album.id);
    const shared = await call(permissions.url, 'PUT', `/albums/${album.id}/shares/jdoe`, {
      token: alice,
      body: { scopes: ['album:view'] },
    });
    expect(shared.status).toBe(200);

    // jdoe's access token is challenged; the ticket buys him an RPT, which reads the album.
    const challenge = await call(albums.url, 'GET', `/albums/${album.id}`, { token: jdoe });
    expect(challenge.status).toBe(401);
    const { ticket } = parseUmaChallenge(challenge.headers.get('www-authenticate'));
    const exchange = await exchangeTicket(ticket, { bearer: jdoe });
    expect(exchange.status).toBe(200);
    const rpt = exchange.body.access_token ?? '';
    expect((await call(albums.url, 'GET', `/albums/${album.id}`, { token: rpt })).status).toBe(200);

    // Refused tokens: none at all, and one altered after signing.
    expect((await call(albums.url, 'GET', '/me')).status).toBe(401);
    expect((await call(albums.url, 'GET', '/me', { token: altered(alice) })).status).toBe(401);
    // An album that does not exist.
    expect(
      (await call(albums.url, 'GET', `/albums/${randomUUID()}`, { token: alice })).status,
    ).toBe(404);

    // The owner revokes; the RPT still lists the scope, the current grant no longer has it.
    const revoked = await call(permissions.url, 'DELETE', `/albums/${album.id}/shares/jdoe`, {
      token: alice,
    });
    expect(revoked.status).toBe(204);
    expect((await call(albums.url, 'GET', `/albums/${album.id}`, { token: rpt })).status).toBe(401);

    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);

    expect(moved('photoz_access_decisions_total', { outcome: 'challenge' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(moved('photoz_access_decisions_total', { outcome: 'rpt' })).toBe(1);
    expect(moved('photoz_access_decisions_total', { outcome: 'rpt_revoked' })).toBe(1);
    expect(moved('photoz_access_decisions_total', { outcome: 'owner' })).toBeGreaterThanOrEqual(1);
    expect(moved('photoz_access_decisions_total', { outcome: 'not_found' })).toBe(1);
    expect(moved('photoz_token_refusals_total', { reason: 'missing' })).toBe(1);
    expect(moved('photoz_token_refusals_total', { reason: 'signature invalid' })).toBe(1);
    expect(moved('photoz_permission_flows_total', { action: 'share' })).toBe(1);
    expect(moved('photoz_permission_flows_total', { action: 'revoke' })).toBe(1);
    expect(
      moved('http_request_duration_seconds_count', { method: 'GET', route: '/albums/:id' }),
    ).toBeGreaterThanOrEqual(5);
    expect(
      moved('http_request_duration_seconds_count', {
        method: 'DELETE',
        route: '/albums/:albumId/shares/:username',
        status: '204',
      }),
    ).toBe(1);
    // The challenge's ticket, and the revocation's ticket deletion, went to Keycloak.
    expect(
      moved('photoz_keycloak_requests_total', { operation: 'create permission ticket' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      moved('photoz_keycloak_requests_total', {
        operation: 'delete permission ticket',
        status: '204',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      moved('photoz_keycloak_request_duration_seconds_count', {
        operation: 'create permission ticket',
      }),
    ).toBeGreaterThanOrEqual(1);

    // One line for the revocation, naming the album and who lost access; lines for Keycloak's calls.
    await flushLogs();
    const lines = readFileSync(LOG_FILE, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const revocations = lines.filter(
      (line) => line['event'] === 'permission.revoke' && line['albumId'] === album.id,
    );
    expect(revocations).toEqual([
      expect.objectContaining({
        level: 'info',
        kind: 'removed',
        subject: decodeJwt(jdoe).payload['sub'],
        scopes: ['album:view'],
      }),
    ]);
    expect(
      lines.some(
        (line) =>
          line['event'] === 'keycloak.call' &&
          line['operation'] === 'create permission ticket' &&
          typeof line['durationMs'] === 'number' &&
          !String(line['path']).includes('?'),
      ),
    ).toBe(true);
    expect(resourceId).toEqual(expect.any(String));
  });
});
