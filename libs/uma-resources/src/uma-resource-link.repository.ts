import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { DataSource, EntityManager } from "typeorm";

const LINK_ALIAS = "uma_link";
/** Entity aliases and types are written into the join's SQL: plain names only. */
const SQL_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Which Keycloak resource each entity is (`uma_resource_links`): no other code of the service
 * reads or writes that table. The relay writes a link once Keycloak has registered the entity,
 * reconciliation and repairs correct it, and the entity's own queries join it
 * (`joinResourceIdSql`). Methods that take an optional `manager` run in the caller's transaction
 * when given one.
 */
@Injectable()
export class UmaResourceLinkRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * SQL joining to a query of entities of `entityType` (alias `entityAlias`, keyed by its `id`
   * column) the id of each one's Keycloak resource: `FROM <table> <alias> ${join}` makes
   * `${column}` the resource id, `NULL` until the entity is registered.
   */
  joinResourceIdSql(
    entityAlias: string,
    entityType: string,
  ): { join: string; column: string } {
    if (!SQL_NAME.test(entityAlias) || !SQL_NAME.test(entityType)) {
      throw new Error(`not a plain SQL name: ${entityAlias} / ${entityType}`);
    }
    return {
      join: `LEFT JOIN uma_resource_links ${LINK_ALIAS} ON ${LINK_ALIAS}.entity_type = '${entityType}' AND ${LINK_ALIAS}.entity_id = ${entityAlias}.id::text`,
      column: `${LINK_ALIAS}.resource_id`,
    };
  }

  /** The Keycloak resource id of an entity, once registered. */
  async resourceIdOf(
    entityType: string,
    entityId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<string | undefined> {
    const rows = (await manager.query(
      "SELECT resource_id FROM uma_resource_links WHERE entity_type = $1 AND entity_id = $2",
      [entityType, entityId],
    )) as { resource_id: string }[];
    return rows[0]?.resource_id;
  }

  /** The resource ids of every registered entity of the type, by entity id. */
  async resourceIdsOf(entityType: string): Promise<Map<string, string>> {
    const rows = (await this.dataSource.query(
      "SELECT entity_id, resource_id FROM uma_resource_links WHERE entity_type = $1",
      [entityType],
    )) as { entity_id: string; resource_id: string }[];
    return new Map(rows.map((row) => [row.entity_id, row.resource_id]));
  }

  /** Links the entity to its resource (replacing an earlier link). */
  async save(
    entityType: string,
    entityId: string,
    resourceId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO uma_resource_links (entity_type, entity_id, resource_id) VALUES ($1, $2, $3)
       ON CONFLICT (entity_type, entity_id) DO UPDATE SET resource_id = EXCLUDED.resource_id, registered_at = now()`,
      [entityType, entityId, resourceId],
    );
  }

  /** Forgets the entity's resource: it counts as not registered. */
  async remove(
    entityType: string,
    entityId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.query(
      "DELETE FROM uma_resource_links WHERE entity_type = $1 AND entity_id = $2",
      [entityType, entityId],
    );
  }
}
