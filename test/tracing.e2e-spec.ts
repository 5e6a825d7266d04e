import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltService, ensureBuilt, startBuiltService } from './support/built-service.ts';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.ts';
import { accessTokens } from '../scripts/dev-realm/tokens.ts';
import { serviceEnv, TEST_DATABASE_URL } from './setup/test-env.ts';

const MAIN = 'apps/album-service/src/main.js';
const DATABASE = new URL(TEST_DATABASE_URL).pathname.slice(1);

/** A span that instrumentation-http opened for a request the service received. */
const SERVER = 2;

/**
 * The album service as deployed (`dist/.../main.js`, tracing started before anything loads `http`
 * or `pg`), sending its spans to an OTLP/HTTP receiver of the test's own.
 */
describe('traces (OpenTelemetry)', () => {
  const receiver = new OtlpReceiver();
  const started: BuiltService[] = [];
  let traced: BuiltService;
  let flushedOnStop: BuiltService;
  let untraced: BuiltService;
  let alice: string;

  /** A service's environment: this process's without its OTEL_* variables, then `overrides`. */
  function env(overrides: Record<string, string>): Record<string, string | undefined> {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')),
    );
    return {
      ...inherited,
      ...serviceEnv({ METRICS_PORT: '0', UMA_RELAY_ENABLED: 'false' }),
      ...overrides,
    };
  }

  async function start(name: string, overrides: Record<string, string>): Promise<BuiltService> {
    const service = await startBuiltService(name, MAIN, env(overrides));
    started.push(service);
    return service;
  }

  /** `GET /albums` as alice, with a request id of its own to find its span by. */
  async function listAlbums(service: BuiltService): Promise<string> {
    const requestId = randomUUID();
    const response = await fetch(`${service.url}/albums`, {
      headers: { authorization: `Bearer ${alice}`, 'x-request-id': requestId },
    });
    expect(response.status).toBe(200);
    return requestId;
  }

  const requestSpan = (requestId: string) => (span: ReceivedSpan) =>
    span.kind === SERVER && span.attributes['photoz.request_id'] === requestId;

  beforeAll(async () => {
    ensureBuilt(MAIN);
    const endpoint = await receiver.listen();
    [alice = ''] = await accessTokens('alice');
    [traced, flushedOnStop, untraced] = await Promise.all([
      start('tracing-album-service', {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '200',
      }),
      // Spans wait in the batch until the service stops; its name from the standard variable.
      start('tracing-flush-album-service', {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '600000',
        OTEL_SERVICE_NAME: 'album-service-flushed-on-stop',
      }),
      // Every variable a traced service would send with, except the switch.
      start('untraced-album-service', {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces`,
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_SERVICE_NAME: 'album-service-untraced',
      }),
    ]);
  });

  afterAll(async () => {
    await Promise.all(started.map((service) => service.stop()));
    await receiver.close();
  });

  it("exports a request's span, named after its route, with its PostgreSQL queries inside", async () => {
    const requestId = await listAlbums(traced);

    const [server, ...more] = await receiver.waitFor(requestSpan(requestId));
    expect(more).toEqual([]);
    expect(server).toMatchObject({
      service: 'album-service',
      scope: '@opentelemetry/instrumentation-http',
      name: 'GET /albums',
      parentSpanId: undefined,
      attributes: { 'http.route': '/albums', 'http.response.status_code': 200 },
    });
    const queries = await receiver.waitFor(
      (span) =>
        span.traceId === server?.traceId && span.scope === '@opentelemetry/instrumentation-pg',
    );
    expect(queries.map((span) => span.name)).toContain(`pg.query:SELECT ${DATABASE}`);
    for (const query of queries) {
      expect(query.attributes['db.system.name']).toBe('postgresql');
      expect(query.parentSpanId).toBeDefined();
    }
  });

  it('leaves the readiness probes out', async () => {
    await listAlbums(traced);
    await receiver.waitFor((span) => span.service === 'album-service' && span.kind === SERVER);
    expect(
      receiver.spans.filter((span) => String(span.attributes['url.path']).startsWith('/health')),
    ).toEqual([]);
  });

  it('sends the spans it still holds when stopped with SIGTERM', async () => {
    const requestId = await listAlbums(flushedOnStop);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.spans.filter(requestSpan(requestId))).toEqual([]);

    await flushedOnStop.stop();

    expect(flushedOnStop.child.signalCode).toBe('SIGTERM');
    expect(receiver.spans.filter(requestSpan(requestId))).toEqual([
      expect.objectContaining({ service: 'album-service-flushed-on-stop', name: 'GET /albums' }),
    ]);
  });

  it('sends nothing without OTEL_EXPORTER_OTLP_ENDPOINT, whatever other OTEL_* variables say', async () => {
    await listAlbums(untraced);
    await untraced.stop();

    expect(untraced.child.signalCode).toBe('SIGTERM');
    expect(receiver.spans.filter((span) => span.service === 'album-service-untraced')).toEqual([]);
  });
});
