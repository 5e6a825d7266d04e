export * from './keycloak-discovery.ts';
export * from './keycloak-http.ts';
export * from './keycloak.module.ts';
export * from './keycloak.options.ts';
export * from './keycloak.readiness.ts';
export * from './protection-api-token.ts';
export * from './protection-api.client.ts';
export * from './uma-configuration.ts';
