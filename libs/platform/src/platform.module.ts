import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { MixedList } from 'typeorm';
import { AuthModule, MeController } from '@app/auth';
import { DatabaseReadiness, HealthModule, postgresOptions, type ServiceConfig } from '@app/common';
import { KeycloakModule, KeycloakReadiness } from '@app/keycloak';
import { DatabasePoolMetrics } from './database-pool.metrics.ts';
import { RateLimitModule } from './rate-limit/rate-limit.module.ts';

export interface PlatformOptions {
  /** The service's own PostgreSQL schema. */
  readonly schema: string;
  readonly applicationName: string;
  // oxlint-disable-next-line typescript/no-unsafe-function-type -- TypeORM's own type for entity lists
  readonly entities: MixedList<Function>;
}

/**
 * What every service of the project stands on: its database (TypeORM, no `synchronize`), Keycloak
 * discovery and PAT, token validation with the global guards, `GET /me` and the health routes,
 * and the database pool's gauge on `/metrics`.
 */
@Module({})
export class PlatformModule {
  static forRoot(config: ServiceConfig, options: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        TypeOrmModule.forRoot({
          ...postgresOptions(
            {
              url: config.database.url,
              schema: options.schema,
              poolSize: config.database.poolSize,
              applicationName: options.applicationName,
            },
            { entities: options.entities },
          ),
          // Boot does not wait on the database; readiness tells when it is reachable.
          retryAttempts: 0,
        }),
        KeycloakModule.forRoot(config.keycloak),
        AuthModule.forRoot({
          issuer: config.keycloak.issuer,
          audience: config.auth.audience,
          realm: config.keycloak.realm,
          clockToleranceSeconds: config.auth.clockToleranceSeconds,
          jwksRefreshMinIntervalMs: config.auth.jwksRefreshMinIntervalMs,
          jwksRefreshIntervalMs: config.auth.jwksRefreshIntervalMs,
          verifiedTokenCacheSize: config.auth.verifiedTokenCacheSize,
          accessTokenMaxLifespanSeconds: config.auth.accessTokenMaxLifespanSeconds,
          endedSessionsReloadIntervalMs: config.auth.endedSessionsReloadIntervalMs,
          backchannelLogoutClients: config.auth.backchannelLogoutClients,
        }),
        // After AuthModule: its guard verifies the caller this one counts.
        RateLimitModule.forRoot(config.rateLimit),
        HealthModule.forRoot([DatabaseReadiness, KeycloakReadiness]),
      ],
      controllers: [MeController],
      providers: [DatabasePoolMetrics],
      exports: [KeycloakModule, AuthModule],
    };
  }
}
