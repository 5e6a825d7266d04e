export * from './platform.module.ts';
export * from './run-service.ts';
