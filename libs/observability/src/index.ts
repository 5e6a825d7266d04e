export * from './logger.ts';
export * from './management.server.ts';
export * from './metrics.ts';
export * from './tracing.ts';
