import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

/** An entity, as the outbox and the links know it. */
export interface EntityKey {
  readonly entityType: string;
  readonly entityId: string;
}

/** A map key for an entity (see `resourceIdsFor`). */
export function entityKey(entityType: string, entityId: string): string {
  return `${entityType}/${entityId}`;
}

/** The entity types and ids as two arrays, for `unnest`. */
function columns(entities: readonly EntityKey[]): [string[], string[]] {
  return [entities.map((entity) => entity.entityType), entities.map((entity) => entity.entityId)];
}

/**
 * Which Keycloak resource each entity is (`uma_resource_links`): no other code of the service
 * writes that table. The relay writes a link once Keycloak has registered the entity,
 * reconciliation and repairs correct it. An entity's own reads may join it, by its columns:
 * `LEFT JOIN uma_resource_links link ON link.entity_type = '<type>' AND link.entity_id =
 * <entity>.id::text` makes `link.resource_id` the resource id, `NULL` until the entity is
 * registered. Methods that take a `manager` (first) run through it, in the caller's transaction
 * when it has one.
 */
@Injectable()
export class UmaResourceLinkRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The resource ids of those of `entities` that are registered, by {@link entityKey}. */
  async resourceIdsFor(
    manager: EntityManager,
    entities: readonly EntityKey[],
  ): Promise<Map<string, string>> {
    if (entities.length === 0) {
      return new Map();
    }
    const rows = (await manager.query(
      `SELECT l.entity_type, l.entity_id, l.resource_id
         FROM uma_resource_links l
         JOIN unnest($1::text[], $2::text[]) AS k (entity_type, entity_id)
           ON l.entity_type = k.entity_type AND l.entity_id = k.entity_id`,
      columns(entities),
    )) as { entity_type: string; entity_id: string; resource_id: string }[];
    return new Map(rows.map((row) => [entityKey(row.entity_type, row.entity_id), row.resource_id]));
  }

  /** The resource ids of every registered entity of the type, by entity id. */
  async resourceIdsOf(entityType: string): Promise<Map<string, string>> {
    const rows = (await this.dataSource.query(
      'SELECT entity_id, resource_id FROM uma_resource_links WHERE entity_type = $1',
      [entityType],
    )) as { entity_id: string; resource_id: string }[];
    return new Map(rows.map((row) => [row.entity_id, row.resource_id]));
  }

  /** Links the entity to its resource (replacing an earlier link). */
  save(
    manager: EntityManager,
    entityType: string,
    entityId: string,
    resourceId: string,
  ): Promise<void> {
    return this.saveAll(manager, [{ entityType, entityId, resourceId }]);
  }

  /**
   * Links each entity to its resource (replacing earlier links); at most one link per entity.
   * Rows are written in key order, so two of these never wait for each other's rows in a cycle.
   * `registered_at` is the time of the write (after Keycloak answered), not of the transaction.
   */
  async saveAll(
    manager: EntityManager,
    links: readonly (EntityKey & { readonly resourceId: string })[],
  ): Promise<void> {
    if (links.length === 0) {
      return;
    }
    await manager.query(
      `INSERT INTO uma_resource_links (entity_type, entity_id, resource_id, registered_at)
       SELECT *, clock_timestamp() FROM unnest($1::text[], $2::text[], $3::text[]) ORDER BY 1, 2
       ON CONFLICT (entity_type, entity_id)
       DO UPDATE SET resource_id = EXCLUDED.resource_id, registered_at = EXCLUDED.registered_at`,
      [...columns(links), links.map((link) => link.resourceId)],
    );
  }

  /** Forgets the entity's resource: it counts as not registered. */
  remove(manager: EntityManager, entityType: string, entityId: string): Promise<void> {
    return this.removeAll(manager, [{ entityType, entityId }]);
  }

  /** Forgets the entities' resources. */
  async removeAll(manager: EntityManager, entities: readonly EntityKey[]): Promise<void> {
    if (entities.length === 0) {
      return;
    }
    await manager.query(
      `DELETE FROM uma_resource_links l
        USING unnest($1::text[], $2::text[]) AS k (entity_type, entity_id)
        WHERE l.entity_type = k.entity_type AND l.entity_id = k.entity_id`,
      columns(entities),
    );
  }
}
