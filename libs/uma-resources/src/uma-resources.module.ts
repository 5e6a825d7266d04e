import { type DynamicModule, Global, Module } from '@nestjs/common';
import { UmaOutboxController } from './uma-outbox.controller.ts';
import { UmaOutboxRelay } from './uma-outbox.relay.ts';
import { UmaOutboxRepository } from './uma-outbox.repository.ts';
import { UmaOutboxWriter } from './uma-outbox.writer.ts';
import { UmaReconciler } from './uma-reconciler.ts';
import { UmaResourceLinkRepository } from './uma-resource-link.repository.ts';
import { UmaResourceSync } from './uma-resource-sync.ts';
import { UmaResourceTypes } from './uma-resource-types.ts';
import { UmaOutboxMetrics } from './uma-outbox.metrics.ts';
import {
  DEFAULT_RELAY_OPTIONS,
  UMA_DEPLOYMENT,
  UMA_RELAY_OPTIONS,
  type UmaRelayOptions,
} from './uma-resources.options.ts';

/**
 * Keeps owned entities registered as Keycloak resources (created through the admin API, read,
 * updated and deleted through the protection API; see `UmaResourceSync`): each kind of entity
 * registers once with `UmaResourceTypes`, the outbox writer records outbox events in the entity's
 * transaction, the relay delivers them, the reconciler repairs drift, and `GET /admin/uma/outbox`
 * shows the backlog. The outbox table belongs to `UmaOutboxRepository`, the links table to
 * `UmaResourceLinkRepository` (an entity's own reads may join it). Needs the TypeORM connection,
 * `AuthModule` (the `@Scopes` guard's resolvers), `KeycloakModule` (with the resource server's
 * `clientUuid`, by which the admin API names it), and the tables `uma_outbox` and
 * `uma_resource_links` in the service's schema (the album service's initial migration shows them).
 */
@Global()
@Module({})
export class UmaResourcesModule {
  static forRoot(options: {
    /** Names this deployment on its resources (e.g. the database name). */
    deployment: string;
    relay?: Partial<UmaRelayOptions>;
  }): DynamicModule {
    return {
      module: UmaResourcesModule,
      controllers: [UmaOutboxController],
      providers: [
        { provide: UMA_DEPLOYMENT, useValue: options.deployment },
        { provide: UMA_RELAY_OPTIONS, useValue: { ...DEFAULT_RELAY_OPTIONS, ...options.relay } },
        UmaResourceTypes,
        UmaOutboxRepository,
        UmaResourceLinkRepository,
        UmaOutboxWriter,
        UmaResourceSync,
        UmaOutboxRelay,
        UmaOutboxMetrics,
        UmaReconciler,
      ],
      exports: [UmaResourceTypes, UmaOutboxWriter, UmaOutboxRelay, UmaReconciler],
    };
  }
}
