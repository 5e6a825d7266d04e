import type { UmaResourceResolver } from '@app/auth';
import type { ResourceDescription } from '@app/keycloak';
import type { EntityManager } from 'typeorm';

/** What an entity tells of its resource; the type, scopes and attributes come from its kind. */
export type EntityResourceDescription = Omit<ResourceDescription, 'type' | 'scopes' | 'attributes'>;

/**
 * One kind of entity that is a Keycloak resource (e.g. the album), as the service that owns the
 * entities describes it once: how an entity's resource looks (for the outbox, the relay and
 * reconciliation), how to read the entities, and, as the `@Scopes` guard's `UmaResourceResolver`
 * for the kind named `entityType`, how the guard finds one. An injectable of that service,
 * registered with `UmaResourceTypes.register` when its module starts.
 */
export interface UmaResourceType<T = unknown> extends UmaResourceResolver {
  /** The entity type's key in the outbox and links, and the kind `@UmaResource` names (`album`). */
  readonly entityType: string;
  /** The Keycloak resource type (e.g. `urn:photoz:album`). */
  readonly resourceType: string;
  readonly scopes: readonly string[];
  /** The entity's id as stored in the outbox. */
  id(entity: T): string;
  /** What the entity's Keycloak resource must look like. */
  describe(entity: T): EntityResourceDescription;
  /** Every entity of the type, for reconciliation. */
  loadAll(): Promise<T[]>;
  /**
   * One entity by id (`undefined` when there is none), for a repair request. It runs in the
   * outbox writer's transaction once the entity's outbox lock is held, so it must be a plain read:
   * a row lock (`FOR SHARE`, `FOR UPDATE`) would wait for a change of the entity that itself
   * waits for the outbox lock, a deadlock.
   */
  load(manager: EntityManager, id: string): Promise<T | undefined>;
}

/** How the relay delivers outbox events. */
export interface UmaRelayOptions {
  /** Whether this instance delivers outbox events (several instances may). */
  readonly enabled: boolean;
  readonly pollIntervalMs: number;
  /** Refusals (`4xx`, unexpected answers) park an event after this many attempts. */
  readonly maxAttempts: number;
  /**
   * Server errors (`5xx`) park it after this many: Keycloak answers `500` for good to some
   * requests (a resource whose owner was deleted), `503` for a while when it restarts.
   * While Keycloak cannot be reached at all, events wait without limit.
   */
  readonly maxServerErrorAttempts: number;
  readonly maxBackoffMs: number;
  /**
   * Workers of this instance's relay. Each claims a batch of events in a transaction of its own,
   * so it holds one database connection while its batch is in flight: the service's pool needs
   * this many connections on top of those its requests use.
   */
  readonly workers: number;
  /**
   * Events a worker claims at once (each the oldest event of a different entity) and delivers
   * concurrently: at most `workers × batchSize` Keycloak deliveries are in flight per instance.
   */
  readonly batchSize: number;
}

/** The relay options `UmaResourcesModule.forRoot` starts from. */
export const DEFAULT_RELAY_OPTIONS: UmaRelayOptions = {
  enabled: true,
  pollIntervalMs: 500,
  maxAttempts: 5,
  maxServerErrorAttempts: 20,
  maxBackoffMs: 30_000,
  workers: 2,
  batchSize: 8,
};

/** Injection token: this deployment's name (see `DEPLOYMENT_ATTRIBUTE`). */
export const UMA_DEPLOYMENT = Symbol('UMA_DEPLOYMENT');

/**
 * The resource attribute naming the deployment (database) that registered a resource, so that
 * reconciliation never takes another deployment's resources in a shared realm for orphans.
 */
export const DEPLOYMENT_ATTRIBUTE = 'deployment';
/** Injection token: the relay's `UmaRelayOptions`. */
export const UMA_RELAY_OPTIONS = Symbol('UMA_RELAY_OPTIONS');

/**
 * Keycloak keeps a resource's name and display name in `VARCHAR(255)` columns; its H2 store counts
 * them in UTF-16 code units (PostgreSQL in code points, never more), and answers `500` to a longer
 * value, for every attempt.
 */
export const KEYCLOAK_TEXT_MAX_UTF16 = 255;

/**
 * A display name Keycloak can store: at most {@link KEYCLOAK_TEXT_MAX_UTF16} UTF-16 code units,
 * cut before a surrogate pair rather than through it. Services bound what they describe (an album's
 * name is at most 200 code units); the cut keeps an entity stored before such a bound registrable.
 */
export function storableDisplayName(displayName: string): string {
  if (displayName.length <= KEYCLOAK_TEXT_MAX_UTF16) {
    return displayName;
  }
  const cut = displayName.slice(0, KEYCLOAK_TEXT_MAX_UTF16);
  return cut.isWellFormed() ? cut : cut.slice(0, -1);
}

/** The full description of an entity's resource, type and scopes included. */
export function describeResource<T>(
  type: UmaResourceType<T>,
  entity: T,
  deployment: string,
): ResourceDescription {
  const described = type.describe(entity);
  return {
    ...described,
    displayName: storableDisplayName(described.displayName),
    type: type.resourceType,
    scopes: [...type.scopes],
    attributes: { [DEPLOYMENT_ATTRIBUTE]: [deployment] },
  };
}
