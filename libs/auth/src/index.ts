export { IS_PUBLIC_KEY, Public } from '@app/common';
export * from './api-uma-challenge.decorator.ts';
export * from './auth.module.ts';
export * from './auth.options.ts';
export * from './authentication.guard.ts';
export * from './backchannel-logout.controller.ts';
export * from './backchannel-logout.service.ts';
export * from './current-principal.decorator.ts';
export * from './invalid-token.error.ts';
export * from './jwks-key-store.ts';
export * from './keycloak-jwt.strategy.ts';
export * from './me.controller.ts';
export * from './principal.ts';
export * from './roles.decorator.ts';
export * from './roles.guard.ts';
export * from './ended-session.repository.ts';
export * from './ended-sessions.ts';
export * from './logout-token.ts';
export * from './scopes.decorator.ts';
export * from './scopes.metadata.ts';
export * from './uma-challenge.ts';
export * from './uma-resource.resolver.ts';
export * from './uma-scopes.guard.ts';
export * from './uma-ticket.cache.ts';
// The grant record's read side, which a `UmaResourceResolver` reads its entities with (the record
// itself is @app/grant-record's).
export { CurrentGrant, CurrentGrantRepository, withCurrentGrant } from '@app/grant-record';
