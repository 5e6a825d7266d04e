import type { IncomingMessage } from 'node:http';
import type { DiagLogger, Span } from '@opentelemetry/api';
import { log } from './logger.ts';

const tracingLog = log.child({ component: 'tracing' });

/**
 * Incoming requests that get no trace: Prometheus's scrapes of the management port and the
 * probes, which would otherwise outnumber real requests.
 */
const UNTRACED_PATHS = new Set(['/metrics', '/health/live', '/health/ready']);

/** Variables that choose the trace exporter or its protocol; without them, OTLP/HTTP with JSON. */
const EXPORTER_CHOICE = [
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
];

/** The active span, once tracing runs; until then nothing of OpenTelemetry is loaded. */
let activeSpan: (() => Span | undefined) | undefined;

function isSet(name: string): boolean {
  const value = process.env[name];
  return value !== undefined && value.trim() !== '';
}

/**
 * Starts OpenTelemetry tracing when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and otherwise does
 * nothing and loads none of its packages. Spans: incoming HTTP requests (the route pattern in
 * their name), PostgreSQL queries made while serving one, and calls to Keycloak (`fetch`). They
 * go out over OTLP/HTTP (JSON unless `OTEL_EXPORTER_OTLP_PROTOCOL` says otherwise); the SDK reads
 * the other `OTEL_*` variables itself (service name, sampler, headers, batching). Traces only:
 * metrics stay on the management port unless `OTEL_METRICS_EXPORTER` asks for more.
 *
 * Call it before anything loads `http` or `pg`: instrumentation patches modules as they load.
 * Returns what flushes the spans not yet sent and stops tracing; it never throws.
 */
export async function startTracing(
  serviceName: string,
): Promise<(() => Promise<void>) | undefined> {
  if (!isSet('OTEL_EXPORTER_OTLP_ENDPOINT')) {
    return undefined;
  }
  const [
    api,
    { NodeSDK },
    { OTLPTraceExporter },
    { HttpInstrumentation },
    { PgInstrumentation },
    { UndiciInstrumentation },
    { defaultResource, resourceFromAttributes },
  ] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/resources'),
  ]);

  // The SDK's own complaints (an unreachable collector, a refused export) as log lines; with
  // OTEL_LOG_LEVEL set, the SDK writes them to the console at that level instead.
  if (!isSet('OTEL_LOG_LEVEL')) {
    const write =
      (level: 'error' | 'warn' | 'info' | 'debug' | 'trace') =>
      (message: string, ...args: unknown[]) =>
        tracingLog[level](
          {
            details:
              args.length === 0
                ? undefined
                : args.map((arg) => (arg instanceof Error ? `${arg.name}: ${arg.message}` : arg)),
          },
          message,
        );
    const diagLogger: DiagLogger = {
      error: write('error'),
      warn: write('warn'),
      info: write('info'),
      debug: write('debug'),
      verbose: write('trace'),
    };
    api.diag.setLogger(diagLogger, api.DiagLogLevel.WARN);
  }

  const sdk = new NodeSDK({
    // The service's name unless OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) gives another:
    // detected attributes are merged over this resource.
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': serviceName })),
    traceExporter: EXPORTER_CHOICE.some(isSet) ? undefined : new OTLPTraceExporter(),
    metricReaders: isSet('OTEL_METRICS_EXPORTER') ? undefined : [],
    logRecordProcessors: isSet('OTEL_LOGS_EXPORTER') ? undefined : [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request: IncomingMessage) =>
          UNTRACED_PATHS.has((request.url ?? '/').split('?')[0] ?? '/'),
      }),
      // Queries inside a request's trace only: the relay's polling would otherwise add a trace
      // of its own every half second. Parameters are never recorded (no enhanced reporting).
      new PgInstrumentation({ requireParentSpan: true }),
      new UndiciInstrumentation(),
    ],
  });
  sdk.start();
  activeSpan = () => api.trace.getActiveSpan();
  tracingLog.info({ serviceName }, 'tracing on: spans go to OTEL_EXPORTER_OTLP_ENDPOINT');

  return async () => {
    activeSpan = undefined;
    try {
      await sdk.shutdown();
    } catch (error) {
      tracingLog.warn({ err: error }, 'the last spans could not be sent');
    }
  };
}

/**
 * Names the current request's span after its route pattern (`GET /albums/:id`, never the URL)
 * and records the request id, the `correlationId` of its problem details; nothing without
 * tracing, and nothing for a request no route matched.
 */
export function annotateRequestSpan(request: {
  readonly method: string;
  readonly route: string | undefined;
  readonly requestId: string;
}): void {
  const span = activeSpan?.();
  if (span === undefined || request.route === undefined) {
    return;
  }
  span.updateName(`${request.method} ${request.route}`);
  span.setAttribute('http.route', request.route);
  span.setAttribute('photoz.request_id', request.requestId);
}
