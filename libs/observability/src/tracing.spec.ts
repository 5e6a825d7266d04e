import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTracing } from './tracing.ts';

describe(startTracing.name, () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('does nothing without OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', undefined);
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'http://127.0.0.1:4318/v1/traces');

    expect(await startTracing('album-service')).toBeUndefined();
  });

  it('does nothing when OTEL_EXPORTER_OTLP_ENDPOINT is empty', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', ' ');

    expect(await startTracing('album-service')).toBeUndefined();
  });
});
