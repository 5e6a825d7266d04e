export * from './access-change-in-progress.ts';
export * from './current-grant.repository.ts';
export * from './grant-record.repository.ts';
export * from './live-grant.ts';
export * from './uma-access.schema.ts';
