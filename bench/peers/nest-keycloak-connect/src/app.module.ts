import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import {
  AuthGuard,
  KeycloakConnectModule,
  ResourceGuard,
  RoleGuard,
  TokenValidation,
} from 'nest-keycloak-connect';
import type { Pool } from 'pg';
import { AlbumStore, PG_POOL, type RegisteredAlbum } from './album.store';
import {
  guardedAlbumController,
  HealthController,
  PublicAlbumController,
  UnroutedAlbumController,
} from './albums.controller';
import type { PeerConfig } from './config';

@Module({})
export class AppModule {
  /**
   * nest-keycloak-connect as its README registers it. One option is set as a careful user sets it:
   * the token validation (see README.md, "Configuration"); every other is left at its default.
   */
  static forRoot(
    config: PeerConfig,
    pool: Pool,
    albums: readonly RegisteredAlbum[],
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        KeycloakConnectModule.register({
          authServerUrl: config.keycloakUrl,
          realm: 'photoz',
          clientId: 'album-api',
          secret: config.secret,
          tokenValidation:
            config.tokenValidation === 'online' ? TokenValidation.ONLINE : TokenValidation.OFFLINE,
          // policyEnforcement: PERMISSIVE by default.
        }),
      ],
      controllers: [
        // The albums' own routes before the `:id` catch-all (Express matches in order).
        ...albums.map(guardedAlbumController),
        UnroutedAlbumController,
        PublicAlbumController,
        HealthController,
      ],
      providers: [
        { provide: PG_POOL, useValue: pool },
        AlbumStore,
        // In this order, as the README says: authentication, then resources, then roles.
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: ResourceGuard },
        { provide: APP_GUARD, useClass: RoleGuard },
      ],
    };
  }
}
