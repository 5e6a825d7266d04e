export * from './database-pool.metrics.ts';
export * from './keycloak-unavailable.filter.ts';
export * from './platform.module.ts';
export * from './run-service.ts';
