import 'reflect-metadata';

// The services the suites start in-process log their JSON lines here, not among the test output;
// test/logs.e2e-spec.ts reads them back.
process.env['LOG_FILE'] ??= new URL(
  '../../.photoz/logs/e2e-services.log',
  import.meta.url,
).pathname;
