import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ProtectionApiClient, type ResourceDescription } from '@app/keycloak';
import type { DataSource } from 'typeorm';
import { umaOutboxRepository } from './uma-outbox.repository.ts';
import { UmaResourceRegistry } from './uma-resource-registry.ts';
import { driftOf, UmaResourceSync } from './uma-resource-sync.ts';
import { DEPLOYMENT_ATTRIBUTE, describeResource } from './uma-resources.options.ts';

export interface ReconcileFinding {
  readonly kind: 'missing' | 'drifted' | 'orphaned';
  readonly entityId: string | undefined;
  readonly resourceId: string | undefined;
  readonly name: string;
  readonly detail: string;
  /** What was done about it; `undefined` on a dry run. */
  readonly action: string | undefined;
}

export interface ReconcileReport {
  readonly entityType: string;
  readonly entities: number;
  readonly resources: number;
  readonly findings: readonly ReconcileFinding[];
}

/**
 * Compares the database with Keycloak's resources of one type and repairs what is missing,
 * orphaned or drifted (owner, name, display name, scopes, URIs, owner-managed access).
 */
@Injectable()
export class UmaReconciler {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: UmaResourceRegistry,
    private readonly protection: ProtectionApiClient,
    private readonly sync: UmaResourceSync,
  ) {}

  /** The deployment whose resources this reconciler owns. */
  get deployment(): string {
    return this.registry.deployment;
  }

  async reconcile(entityType: string, options: { dryRun: boolean }): Promise<ReconcileReport> {
    const type = this.registry.typeOf(entityType);
    const entities = await type.loadAll(this.dataSource);
    const resources = await this.protection.findResources({ type: type.resourceType });
    const links = await umaOutboxRepository.links(this.dataSource, entityType);
    const byId = new Map(resources.map((resource) => [resource.id, resource]));
    const byName = new Map(resources.map((resource) => [resource.name, resource]));
    const claimed = new Set<string>();
    const findings: ReconcileFinding[] = [];

    for (const entity of entities) {
      const entityId = type.id(entity);
      const desired = describeResource(type, entity, this.deployment);
      const linked = links.get(entityId);
      const actual =
        (linked === undefined ? undefined : byId.get(linked)) ?? byName.get(desired.name);
      if (actual === undefined) {
        findings.push({
          kind: 'missing',
          entityId,
          resourceId: undefined,
          name: desired.name,
          detail: linked === undefined ? 'never registered' : `linked resource ${linked} is gone`,
          action: options.dryRun
            ? undefined
            : `created ${await this.repair(entityType, entityId, desired, undefined)}`,
        });
        continue;
      }
      claimed.add(actual.id);
      const drift = driftOf(actual, desired);
      if (drift.length > 0) {
        findings.push({
          kind: 'drifted',
          entityId,
          resourceId: actual.id,
          name: desired.name,
          detail: drift.join(', '),
          action: options.dryRun
            ? undefined
            : `repaired as ${await this.repair(entityType, entityId, desired, actual.id)}`,
        });
      } else if (linked !== actual.id && !options.dryRun) {
        await umaOutboxRepository.saveLink(this.dataSource, entityType, entityId, actual.id);
      }
    }

    for (const resource of resources) {
      // Resources of other deployments sharing the realm are theirs to reconcile.
      if (
        claimed.has(resource.id) ||
        !resource.attributes[DEPLOYMENT_ATTRIBUTE]?.includes(this.deployment)
      ) {
        continue;
      }
      if (!options.dryRun) {
        await this.protection.deleteResource(resource.id);
      }
      findings.push({
        kind: 'orphaned',
        entityId: undefined,
        resourceId: resource.id,
        name: resource.name,
        detail: 'no entity in the database',
        action: options.dryRun ? undefined : 'deleted',
      });
    }
    return { entityType, entities: entities.length, resources: resources.length, findings };
  }

  private async repair(
    entityType: string,
    entityId: string,
    desired: ResourceDescription,
    knownId: string | undefined,
  ): Promise<string> {
    const resourceId = await this.sync.upsert(desired, knownId);
    await umaOutboxRepository.saveLink(this.dataSource, entityType, entityId, resourceId);
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
