import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { CurrentGrantRepository } from '@app/grant-record';
import {
  KEYCLOAK_OPTIONS,
  KeycloakDiscovery,
  type KeycloakOptions,
  ProtectionApiClient,
} from '@app/keycloak';
import { AUTH_OPTIONS, type AuthOptions } from './auth.options.ts';
import { AuthenticationGuard } from './authentication.guard.ts';
import { BackchannelLogoutService } from './backchannel-logout.service.ts';
import { EndedSessionRepository } from './ended-session.repository.ts';
import { EndedSessions } from './ended-sessions.ts';
import { JwksKeyStore } from './jwks-key-store.ts';
import { KeycloakJwtStrategy } from './keycloak-jwt.strategy.ts';
import { RolesGuard } from './roles.guard.ts';
import { ScopesRoutesCheck } from './scopes-routes.check.ts';
import { UmaResourceResolvers } from './uma-resource.resolver.ts';
import { UmaScopesGuard } from './uma-scopes.guard.ts';
import { UmaTicketCache } from './uma-ticket.cache.ts';

/**
 * Token validation for the whole application: registers the JWT strategy and the global guards
 * (authentication first, then roles) and what `@Scopes` needs. Needs `KeycloakModule`.
 */
@Global()
@Module({})
export class AuthModule {
  static forRoot(options: AuthOptions): DynamicModule {
    return {
      module: AuthModule,
      imports: [PassportModule, DiscoveryModule],
      providers: [
        { provide: AUTH_OPTIONS, useValue: options },
        {
          provide: JwksKeyStore,
          useFactory: (discovery: KeycloakDiscovery, keycloak: KeycloakOptions) =>
            new JwksKeyStore({
              jwksUri: async () => (await discovery.get()).jwks_uri,
              refreshMinIntervalMs: options.jwksRefreshMinIntervalMs,
              refreshIntervalMs: options.jwksRefreshIntervalMs,
              timeoutMs: keycloak.timeoutMs,
            }),
          inject: [KeycloakDiscovery, KEYCLOAK_OPTIONS],
        },
        KeycloakJwtStrategy,
        { provide: APP_GUARD, useClass: AuthenticationGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
        UmaResourceResolvers,
        {
          provide: UmaTicketCache,
          useFactory: (protection: ProtectionApiClient) => new UmaTicketCache(protection),
          inject: [ProtectionApiClient],
        },
        UmaScopesGuard,
        CurrentGrantRepository,
        ScopesRoutesCheck,
        EndedSessionRepository,
        EndedSessions,
        BackchannelLogoutService,
      ],
      exports: [
        AUTH_OPTIONS,
        JwksKeyStore,
        UmaResourceResolvers,
        UmaTicketCache,
        UmaScopesGuard,
        CurrentGrantRepository,
        EndedSessions,
        BackchannelLogoutService,
      ],
    };
  }
}
