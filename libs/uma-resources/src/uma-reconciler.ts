import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  ProtectionApiClient,
  type RegisteredResource,
  type ResourceDescription,
} from '@app/keycloak';
import { inParallel } from '@app/common';
import { log, metrics } from '@app/observability';
import type { DataSource } from 'typeorm';
import { UmaResourceLinkRepository } from './uma-resource-link.repository.ts';
import { driftOf, UmaResourceSync } from './uma-resource-sync.ts';
import { UmaResourceTypes } from './uma-resource-types.ts';
import { DEPLOYMENT_ATTRIBUTE, describeResource, UMA_DEPLOYMENT } from './uma-resources.options.ts';

const reconcileLog = log.child({ component: 'uma-reconcile' });

/** One difference between the database and Keycloak, and what was done about it. */
export interface ReconcileFinding {
  readonly kind: 'missing' | 'drifted' | 'orphaned';
  readonly entityId: string | undefined;
  readonly resourceId: string | undefined;
  readonly name: string;
  readonly detail: string;
  /** What was done about it; `undefined` on a dry run. */
  readonly action: string | undefined;
}

/** What one run found for one entity type. */
export interface ReconcileReport {
  readonly entityType: string;
  readonly entities: number;
  readonly resources: number;
  readonly findings: readonly ReconcileFinding[];
}

/** How `UmaReconciler.reconcile` runs. */
export interface ReconcileOptions {
  readonly dryRun: boolean;
  /** Keycloak calls in flight at once for lookups and repairs (default 8). */
  readonly concurrency?: number;
  /**
   * For tests only: awaited after each listing (Keycloak's resources, then the links, then the
   * entities), so that a test can create or delete an entity between them, as a user or the
   * relay may while a run is under way.
   */
  readonly afterListing?: (listed: 'resources' | 'links' | 'entities') => Promise<void>;
}

/** Resources per page of Keycloak's listing: 10,000 resources in 10 requests. */
const RESOURCE_PAGE_SIZE = 1_000;
const DEFAULT_CONCURRENCY = 8;

/** An entity and what Keycloak holds for it. */
interface Check {
  readonly entityId: string;
  readonly desired: ResourceDescription;
  readonly linked: string | undefined;
  /** Its resource, from the listing, or else looked up by the linked id. */
  actual: RegisteredResource | undefined;
}

/** A resource this run created or updated for an entity, to check once the run is over. */
interface Repaired {
  readonly entityId: string;
  readonly desired: ResourceDescription;
  readonly resourceId: string;
  /** Its finding's place in the entities' findings. */
  readonly finding: number;
}

/**
 * Compares the database with Keycloak's resources of one type and repairs what is missing,
 * orphaned or drifted (owner, name, display name, scopes, URIs, owner-managed access).
 *
 * It reads in bulk: Keycloak's resources of the type in pages of 1,000, the links and the
 * entities in one query each. When everything matches it asks Keycloak nothing more; lookups and
 * repairs run `concurrency` at a time.
 *
 * It runs beside the relay and beside users, so entities and resources change under it:
 * - Keycloak is listed before the database. A resource exists only once its entity was committed
 *   (the relay registers what the entity's own transaction wrote to the outbox), so the entity of
 *   every listed resource, if it still exists, is in the later entity listing: a resource
 *   registered during the run is never taken for an orphan, and one whose entity is not listed
 *   belongs to an entity that is gone for good. An entity listed without its resource may have
 *   been registered since: its linked resource is looked up before it counts as missing.
 * - What it creates or updates for an entity deleted meanwhile would outlive the entity (the
 *   relay's delete may have come first). So once done it lists the entities again and deletes
 *   the resources it wrote for those that are gone; a delete the relay delivers later finds the
 *   resource by its name.
 */
@Injectable()
export class UmaReconciler {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly types: UmaResourceTypes,
    /** The deployment whose resources this reconciler owns. */
    @Inject(UMA_DEPLOYMENT) readonly deployment: string,
    private readonly links: UmaResourceLinkRepository,
    private readonly protection: ProtectionApiClient,
    private readonly sync: UmaResourceSync,
  ) {}

  /** Compares and repairs the entities of `entityType` (see the class). */
  async reconcile(entityType: string, options: ReconcileOptions): Promise<ReconcileReport> {
    const type = this.types.of(entityType);
    const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
    const resources = await this.protection.findResources(
      { type: type.resourceType },
      RESOURCE_PAGE_SIZE,
    );
    await options.afterListing?.('resources');
    const links = await this.links.resourceIdsOf(entityType);
    await options.afterListing?.('links');
    const entities = await type.loadAll();
    await options.afterListing?.('entities');
    const byId = new Map(resources.map((resource) => [resource.id, resource]));
    const byName = new Map(resources.map((resource) => [resource.name, resource]));

    const checks: Check[] = entities.map((entity) => {
      const desired = describeResource(type, entity, this.deployment);
      const linked = links.get(type.id(entity));
      return {
        entityId: type.id(entity),
        desired,
        linked,
        actual: (linked === undefined ? undefined : byId.get(linked)) ?? byName.get(desired.name),
      };
    });
    // Registered by the relay after the resources were listed, or gone.
    await inParallel(
      checks.filter((check) => check.actual === undefined && check.linked !== undefined),
      concurrency,
      async (check) => {
        check.actual = await this.protection.getResource(check.linked ?? '');
      },
    );

    const claimed = new Set<string>();
    for (const check of checks) {
      if (check.actual !== undefined) {
        claimed.add(check.actual.id);
      }
    }
    const entityFindings: (ReconcileFinding | undefined)[] = checks.map(() => undefined);
    const repaired: Repaired[] = [];
    const relinked: { entityType: string; entityId: string; resourceId: string }[] = [];
    await inParallel(checks, concurrency, async (check, index) => {
      const { entityId, desired, linked, actual } = check;
      if (actual === undefined) {
        const created = options.dryRun
          ? undefined
          : await this.repair(entityType, entityId, desired, undefined);
        entityFindings[index] = {
          kind: 'missing',
          entityId,
          resourceId: undefined,
          name: desired.name,
          detail: linked === undefined ? 'never registered' : `linked resource ${linked} is gone`,
          action: created === undefined ? undefined : `created ${created}`,
        };
        if (created !== undefined) {
          repaired.push({ entityId, desired, resourceId: created, finding: index });
        }
        return;
      }
      const drift = driftOf(actual, desired);
      if (drift.length > 0) {
        const updated = options.dryRun
          ? undefined
          : await this.repair(entityType, entityId, desired, actual.id);
        entityFindings[index] = {
          kind: 'drifted',
          entityId,
          resourceId: actual.id,
          name: desired.name,
          detail: drift.join(', '),
          action: updated === undefined ? undefined : `repaired as ${updated}`,
        };
        if (updated !== undefined) {
          repaired.push({ entityId, desired, resourceId: updated, finding: index });
        }
      } else if (linked !== actual.id && !options.dryRun) {
        relinked.push({ entityType, entityId, resourceId: actual.id });
      }
    });
    await this.links.saveAll(this.dataSource.manager, relinked);

    // Resources of other deployments sharing the realm are theirs to reconcile.
    const orphans = resources.filter(
      (resource) =>
        !claimed.has(resource.id) &&
        resource.attributes[DEPLOYMENT_ATTRIBUTE]?.includes(this.deployment) === true,
    );
    if (!options.dryRun) {
      await inParallel(orphans, concurrency, async (resource) => {
        await this.protection.deleteResource(resource.id);
      });
    }

    if (repaired.length > 0) {
      const remaining = new Set((await type.loadAll()).map((entity) => type.id(entity)));
      await inParallel(
        repaired.filter((done) => !remaining.has(done.entityId)),
        concurrency,
        async (done) => {
          await this.sync.remove(done.desired, done.resourceId);
          await this.links.remove(this.dataSource.manager, entityType, done.entityId);
          const finding = entityFindings[done.finding];
          if (finding !== undefined) {
            entityFindings[done.finding] = {
              ...finding,
              action: `${finding.action ?? ''}, then deleted: the ${entityType} was deleted meanwhile`,
            };
          }
        },
      );
    }
    const findings: ReconcileFinding[] = [
      ...entityFindings.filter((finding) => finding !== undefined),
      ...orphans.map((resource) => ({
        kind: 'orphaned' as const,
        entityId: undefined,
        resourceId: resource.id,
        name: resource.name,
        detail: 'no entity in the database',
        action: options.dryRun ? undefined : 'deleted',
      })),
    ];
    for (const finding of findings) {
      metrics.reconcileFindings.inc({ kind: finding.kind });
    }
    metrics.reconcileRuns.inc({ result: findings.length === 0 ? 'in_sync' : 'repaired' });
    reconcileLog.info(
      {
        event: 'uma.reconcile',
        entityType,
        entities: entities.length,
        resources: resources.length,
        findings: findings.length,
        dryRun: options.dryRun,
      },
      'reconciliation done',
    );
    return { entityType, entities: entities.length, resources: resources.length, findings };
  }

  private async repair(
    entityType: string,
    entityId: string,
    desired: ResourceDescription,
    knownId: string | undefined,
  ): Promise<string> {
    const resourceId = await this.sync.upsert(desired, knownId);
    await this.links.save(this.dataSource.manager, entityType, entityId, resourceId);
    return resourceId;
  }
}

/** The report as lines a person reads. */
export function formatReconcileReport(report: ReconcileReport, dryRun: boolean): string[] {
  const lines = [
    `${report.entityType}: ${report.entities} in the database, ${report.resources} resources in Keycloak${dryRun ? ' (dry run: nothing changed)' : ''}`,
  ];
  for (const finding of report.findings) {
    const subject =
      finding.entityId === undefined
        ? `resource ${finding.resourceId}`
        : `${report.entityType} ${finding.entityId}`;
    lines.push(
      `  ${finding.kind.padEnd(8)} ${subject} (${finding.name}): ${finding.detail}${finding.action === undefined ? '' : ` -> ${finding.action}`}`,
    );
  }
  if (report.findings.length === 0) {
    lines.push('  everything matches');
  }
  return lines;
}
