import { type DynamicModule, Global, Module } from '@nestjs/common';
import { KeycloakDiscovery } from './keycloak-discovery.ts';
import { KEYCLOAK_OPTIONS, type KeycloakOptions } from './keycloak.options.ts';
import { KeycloakReadiness } from './keycloak.readiness.ts';
import { ProtectionApiClient } from './protection-api.client.ts';
import { ProtectionApiToken } from './protection-api-token.ts';
import { UmaGrantClient } from './uma-grant.client.ts';
import { AuthorizationAdminClient } from './authorization-admin.client.ts';
import { AdminEventsClient } from './admin-events.client.ts';

/** Discovery, the protection API token and the typed Keycloak client, for the whole application. */
@Global()
@Module({})
export class KeycloakModule {
  static forRoot(options: KeycloakOptions): DynamicModule {
    return {
      module: KeycloakModule,
      providers: [
        { provide: KEYCLOAK_OPTIONS, useValue: options },
        KeycloakDiscovery,
        {
          provide: ProtectionApiToken,
          useFactory: (opts: KeycloakOptions, discovery: KeycloakDiscovery) =>
            new ProtectionApiToken(opts, discovery),
          inject: [KEYCLOAK_OPTIONS, KeycloakDiscovery],
        },
        KeycloakReadiness,
        ProtectionApiClient,
        UmaGrantClient,
        AuthorizationAdminClient,
        AdminEventsClient,
      ],
      exports: [
        KEYCLOAK_OPTIONS,
        KeycloakDiscovery,
        ProtectionApiToken,
        KeycloakReadiness,
        ProtectionApiClient,
        UmaGrantClient,
        AuthorizationAdminClient,
        AdminEventsClient,
      ],
    };
  }
}
