import 'reflect-metadata';
import { fileURLToPath } from 'node:url';

// The services the suites start in-process log their JSON lines here, not among the test output;
// test/logs.e2e-spec.ts and the global teardown read them back.
process.env['LOG_FILE'] ??= fileURLToPath(
  new URL('../../.photoz/logs/e2e-services.log', import.meta.url),
);
