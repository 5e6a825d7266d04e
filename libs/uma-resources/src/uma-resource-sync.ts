import { Injectable } from '@nestjs/common';
import {
  AuthorizationAdminClient,
  KeycloakError,
  ProtectionApiClient,
  type RegisteredResource,
  type ResourceDescription,
} from '@app/keycloak';

/** What differs between a registered resource and what it should be. */
export function driftOf(actual: RegisteredResource, desired: ResourceDescription): string[] {
  const sameSet = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && [...a].sort().every((value, index) => value === [...b].sort()[index]);
  const drift: string[] = [];
  if (actual.ownerId !== desired.ownerId) {
    drift.push('owner');
  }
  if (actual.name !== desired.name) {
    drift.push('name');
  }
  if ((actual.displayName ?? '') !== desired.displayName) {
    drift.push('displayName');
  }
  if (actual.type !== desired.type) {
    drift.push('type');
  }
  if (!sameSet(actual.scopes, desired.scopes)) {
    drift.push('scopes');
  }
  if (!sameSet(actual.uris, desired.uris)) {
    drift.push('uris');
  }
  if (!actual.ownerManagedAccess) {
    drift.push('ownerManagedAccess');
  }
  for (const [key, values] of Object.entries(desired.attributes)) {
    if (!sameSet(actual.attributes[key] ?? [], values)) {
      drift.push(`attribute ${key}`);
    }
  }
  return drift;
}

/**
 * The resources to delete for an entity that is gone: the linked one, and every resource of this
 * deployment with the entity's name, found by the name search. The name search matters: a
 * resource registered after the link was read (by reconciliation, or a create whose link was
 * lost) would otherwise outlive its entity. Resources marked with another deployment are theirs.
 */
export function resourcesToRemove(
  knownId: string | undefined,
  named: readonly RegisteredResource[],
  desired: ResourceDescription,
): string[] {
  const ids = new Set(knownId === undefined ? [] : [knownId]);
  for (const resource of named) {
    const ours = Object.entries(desired.attributes).every(([key, values]) => {
      const actual = resource.attributes[key];
      return actual === undefined || actual.some((value) => values.includes(value));
    });
    if (resource.name === desired.name && ours) {
      ids.add(resource.id);
    }
  }
  return [...ids];
}

/**
 * Makes one Keycloak resource match its description, idempotently: a create that meets an earlier
 * attempt (409) adopts it, an update of a vanished resource recreates it, a delete of a missing
 * one is done. Used by the outbox relay and by reconciliation. Creates go through the admin API
 * (see `AuthorizationAdminClient.createResource`), reads, updates and deletes through the
 * protection API; a resource Keycloak registers under another owner all the same is deleted and
 * refused (`ResourceOwnerNotHonouredError`), never linked.
 */
@Injectable()
export class UmaResourceSync {
  constructor(
    private readonly protection: ProtectionApiClient,
    private readonly admin: AuthorizationAdminClient,
  ) {}

  /** Ensures the resource exists as described; returns its id. */
  async upsert(desired: ResourceDescription, knownId: string | undefined): Promise<string> {
    if (knownId !== undefined) {
      const actual = await this.protection.getResource(knownId);
      if (actual !== undefined) {
        return this.correct(actual, desired);
      }
    }
    try {
      const created = await this.admin.createResource(desired);
      return created.ownerId === desired.ownerId ? created.id : this.correct(created, desired);
    } catch (error) {
      if (!(error instanceof KeycloakError && error.status === 409)) {
        throw error;
      }
      const existing = await this.findByName(desired);
      if (existing === undefined) {
        throw error;
      }
      return this.correct(existing, desired);
    }
  }

  /**
   * Deletes the resource, by id and by name (see `resourcesToRemove`); a missing resource counts
   * as deleted.
   */
  async remove(desired: ResourceDescription, knownId: string | undefined): Promise<void> {
    const named = await this.protection.findResources({
      name: desired.name,
      exactName: true,
      type: desired.type,
    });
    for (const id of resourcesToRemove(knownId, named, desired)) {
      await this.protection.deleteResource(id);
    }
  }

  async findByName(desired: ResourceDescription): Promise<RegisteredResource | undefined> {
    const found = await this.protection.findResources({
      name: desired.name,
      exactName: true,
      type: desired.type,
    });
    return found.find((resource) => resource.ownerId === desired.ownerId) ?? found[0];
  }

  /** Brings an existing resource in line: an update for most drift, a new resource for a wrong owner. */
  private async correct(actual: RegisteredResource, desired: ResourceDescription): Promise<string> {
    const drift = driftOf(actual, desired);
    if (drift.length === 0) {
      return actual.id;
    }
    if (drift.includes('owner')) {
      // Keycloak never changes an owner on update: replace the resource.
      await this.protection.deleteResource(actual.id);
      const created = await this.admin.createResource(desired);
      if (created.ownerId !== desired.ownerId) {
        await this.protection.deleteResource(created.id);
        throw new ResourceOwnerNotHonouredError(desired.ownerId, created.ownerId);
      }
      return created.id;
    }
    await this.protection.updateResource(actual.id, desired);
    return actual.id;
  }
}

/**
 * Keycloak registered the resource under another owner than asked (see docs/security.md, Keycloak
 * version).
 */
class ResourceOwnerNotHonouredError extends Error {
  override readonly name = 'ResourceOwnerNotHonouredError';

  constructor(expected: string, actual: string | undefined) {
    super(
      `Keycloak registered the resource for owner ${actual ?? 'unknown'} instead of ${expected}`,
    );
  }
}
