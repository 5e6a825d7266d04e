import 'reflect-metadata';
import { startTracing } from '@app/observability';

// Tracing (off unless OTEL_EXPORTER_OTLP_ENDPOINT is set) patches http and pg as they load, so
// the service's modules are loaded only once it runs.
const stopTracing = await startTracing('album-service');
const { runService } = await import('@app/platform');
const { albumService } = await import('./album-service.definition.ts');

await runService(albumService, { onShutdown: stopTracing });
