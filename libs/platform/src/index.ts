export * from './database-pool.metrics.ts';
export * from './keycloak-unavailable.filter.ts';
export * from './platform.module.ts';
export * from './run-service.ts';
export * from './rate-limit/rate-limit-policy.decorator.ts';
export * from './rate-limit/rate-limit.module.ts';
export * from './rate-limit/principal-throttler.guard.ts';
