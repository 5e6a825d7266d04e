import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { KeycloakError, keycloakFetch, type KeycloakResponse } from './keycloak-http.ts';
import { KeycloakDiscovery } from './keycloak-discovery.ts';
import { KEYCLOAK_OPTIONS, type KeycloakOptions } from './keycloak.options.ts';
import { ProtectionApiToken } from './protection-api-token.ts';

/** What the resource server wants a Keycloak resource to be. */
export interface ResourceDescription {
  /** Unique per owner; deterministic so that a retried create finds its earlier attempt. */
  readonly name: string;
  readonly displayName: string;
  readonly type: string;
  readonly ownerId: string;
  readonly uris: readonly string[];
  readonly scopes: readonly string[];
  /** Free-form `{ key: [values] }` kept with the resource. */
  readonly attributes: Readonly<Record<string, readonly string[]>>;
}

const scopeList = z
  .array(z.union([z.object({ name: z.string() }).loose(), z.string()]))
  .optional()
  .default([]);

const resourceSchema = z.object({
  _id: z.string(),
  name: z.string(),
  displayName: z.string().optional(),
  type: z.string().optional(),
  uris: z.array(z.string()).optional().default([]),
  owner: z.union([z.object({ id: z.string() }).loose(), z.string()]).optional(),
  ownerManagedAccess: z.boolean().optional().default(false),
  attributes: z.record(z.string(), z.array(z.string())).optional().default({}),
  // A single resource comes with `resource_scopes` and `scopes`, a deep search with `scopes` only.
  resource_scopes: scopeList,
  scopes: scopeList,
});

/** A Keycloak resource as the protection API reports it. */
export interface RegisteredResource {
  readonly id: string;
  readonly name: string;
  readonly displayName: string | undefined;
  readonly type: string | undefined;
  readonly ownerId: string | undefined;
  readonly ownerManagedAccess: boolean;
  readonly uris: readonly string[];
  readonly scopes: readonly string[];
  readonly attributes: Readonly<Record<string, readonly string[]>>;
}

const ticketSchema = z.object({
  id: z.string(),
  owner: z.string(),
  resource: z.string(),
  scope: z.string(),
  requester: z.string(),
  granted: z.boolean().optional().default(false),
});

/**
 * A permission ticket: a pending request (`granted: false`) or a grant, for one scope. The
 * requester is a user id, or a client's internal id when a partner asked with its own credentials.
 */
export interface PermissionTicket {
  readonly id: string;
  readonly ownerId: string;
  readonly resourceId: string;
  readonly scopeId: string;
  readonly requesterId: string;
  readonly granted: boolean;
}

/** Filters of the ticket search; `owner` and `requester` take a user id or a username. */
export interface TicketQuery {
  readonly resourceId?: string;
  readonly owner?: string;
  readonly requester?: string;
  readonly granted?: boolean;
}

function toTicket(body: unknown): PermissionTicket {
  const ticket = ticketSchema.parse(body);
  return {
    id: ticket.id,
    ownerId: ticket.owner,
    resourceId: ticket.resource,
    scopeId: ticket.scope,
    requesterId: ticket.requester,
    granted: ticket.granted,
  };
}

/** A resource as Keycloak answers it (protection API or admin API: both use one representation). */
export function toRegisteredResource(body: unknown): RegisteredResource {
  const resource = resourceSchema.parse(body);
  return {
    id: resource._id,
    name: resource.name,
    displayName: resource.displayName,
    type: resource.type,
    ownerId: typeof resource.owner === 'string' ? resource.owner : resource.owner?.id,
    ownerManagedAccess: resource.ownerManagedAccess,
    uris: resource.uris,
    scopes: (resource.scopes.length > 0 ? resource.scopes : resource.resource_scopes).map(
      (scope) => (typeof scope === 'string' ? scope : scope.name),
    ),
    attributes: resource.attributes,
  };
}

/** The body Keycloak takes for a resource, on the protection API and on the admin API alike. */
export function resourceRepresentation(description: ResourceDescription): Record<string, unknown> {
  return {
    name: description.name,
    displayName: description.displayName,
    type: description.type,
    owner: description.ownerId,
    ownerManagedAccess: true,
    uris: [...description.uris],
    resource_scopes: [...description.scopes],
    attributes: Object.fromEntries(
      Object.entries(description.attributes).map(([key, values]) => [key, [...values]]),
    ),
  };
}

/**
 * The UMA protection API of the realm (resources and permission tickets), called with the PAT.
 * Endpoints come from discovery; a PAT that Keycloak refuses is replaced once. Resources are
 * created through the admin API instead (`AuthorizationAdminClient.createResource`): Keycloak
 * 26.6 and later make the resource server the owner of a resource it creates here, whatever
 * `owner` says (keycloak#49910).
 */
@Injectable()
export class ProtectionApiClient {
  constructor(
    @Inject(KEYCLOAK_OPTIONS) private readonly options: KeycloakOptions,
    private readonly discovery: KeycloakDiscovery,
    private readonly pat: ProtectionApiToken,
  ) {}

  /** Replaces a resource's name, display name, type, URIs and scopes (the owner never changes). */
  async updateResource(id: string, description: ResourceDescription): Promise<void> {
    const endpoint = (await this.discovery.get()).resource_registration_endpoint;
    await this.call('update resource', `${endpoint}/${encodeURIComponent(id)}`, 'PUT', [204], {
      _id: id,
      ...resourceRepresentation(description),
    });
  }

  /** Deletes a resource; `false` when it did not exist. */
  async deleteResource(id: string): Promise<boolean> {
    const endpoint = (await this.discovery.get()).resource_registration_endpoint;
    const response = await this.call(
      'delete resource',
      `${endpoint}/${encodeURIComponent(id)}`,
      'DELETE',
      [204, 404],
    );
    return response.status === 204;
  }

  async getResource(id: string): Promise<RegisteredResource | undefined> {
    const endpoint = (await this.discovery.get()).resource_registration_endpoint;
    const response = await this.call(
      'get resource',
      `${endpoint}/${encodeURIComponent(id)}`,
      'GET',
      [200, 404],
    );
    return response.status === 404 ? undefined : toRegisteredResource(response.body);
  }

  /** Searches resources (full representations), following pages of `pageSize`. */
  async findResources(
    query: { type?: string; name?: string; exactName?: boolean; owner?: string },
    pageSize = 100,
  ): Promise<RegisteredResource[]> {
    const endpoint = (await this.discovery.get()).resource_registration_endpoint;
    return this.findAll(
      'find resources',
      endpoint,
      { deep: true, ...query },
      toRegisteredResource,
      pageSize,
    );
  }

  /** A permission ticket for the given resource and scopes (the UMA challenge). */
  async createPermissionTicket(resourceId: string, scopes: readonly string[]): Promise<string> {
    const endpoint = (await this.discovery.get()).permission_endpoint;
    const response = await this.call(
      'create permission ticket',
      endpoint,
      'POST',
      [200, 201],
      [{ resource_id: resourceId, resource_scopes: [...scopes] }],
    );
    return z.object({ ticket: z.string().min(1) }).parse(response.body).ticket;
  }

  /**
   * Permission tickets matching the query, following every page, up to `limit` tickets (a read in
   * the background bounds what it reads). Names are not asked for: Keycloak fails the whole search
   * when a requester is a client rather than a user.
   */
  async findTickets(
    query: TicketQuery,
    pageSize = 100,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<PermissionTicket[]> {
    const endpoint = `${(await this.discovery.get()).permission_endpoint}/ticket`;
    const { resourceId, owner, requester, granted } = query;
    return this.findAll(
      'find permission tickets',
      endpoint,
      { resourceId, owner, requester, granted },
      toTicket,
      pageSize,
      limit,
    );
  }

  /**
   * Every match of a protection API search, asked for page by page (`first`, `max`) so that no
   * single answer grows with the number of matches; a page shorter than `pageSize` is the last.
   * Filters left `undefined` are not sent.
   */
  private async findAll<T>(
    operation: string,
    endpoint: string,
    filters: Readonly<Record<string, string | boolean | undefined>>,
    parse: (body: unknown) => T,
    pageSize: number,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<T[]> {
    const found: T[] = [];
    for (let first = 0; first < limit; first += pageSize) {
      const params = new URLSearchParams({ first: String(first), max: String(pageSize) });
      for (const [key, value] of Object.entries(filters)) {
        if (value !== undefined) {
          params.set(key, String(value));
        }
      }
      const response = await this.call(operation, `${endpoint}?${params.toString()}`, 'GET', [200]);
      const page = z.array(z.unknown()).parse(response.body).map(parse);
      found.push(...page);
      if (page.length < pageSize) {
        return found;
      }
    }
    return found;
  }

  /**
   * Grants `requesterName` one scope on a resource, as the resource server. Keycloak answers 400
   * `invalid_permission` for an unknown user or an existing grant.
   */
  async grant(
    resourceId: string,
    requesterName: string,
    scopeName: string,
  ): Promise<PermissionTicket> {
    const endpoint = `${(await this.discovery.get()).permission_endpoint}/ticket`;
    const response = await this.call('grant permission', endpoint, 'POST', [200, 201], {
      resource: resourceId,
      requesterName,
      scopeName,
      granted: true,
    });
    return toTicket(response.body);
  }

  /** Approves a pending request. */
  async approveTicket(id: string): Promise<void> {
    const endpoint = `${(await this.discovery.get()).permission_endpoint}/ticket`;
    await this.call('approve permission ticket', endpoint, 'PUT', [204], { id, granted: true });
  }

  /** Deletes a request or a grant; `false` when it was already gone. */
  async deleteTicket(id: string): Promise<boolean> {
    const endpoint = `${(await this.discovery.get()).permission_endpoint}/ticket`;
    const response = await this.call(
      'delete permission ticket',
      `${endpoint}/${encodeURIComponent(id)}`,
      'DELETE',
      [204, 404],
    );
    return response.status === 204;
  }

  /**
   * Sends a request with the PAT. A refused PAT (expired, revoked, or signed by a key the realm no
   * longer has) gets one retry with a new one: Keycloak's protection API refuses it with
   * `403 invalid_bearer_token`, not 401, so both count as a refusal of the token.
   */
  async call(
    operation: string,
    url: string,
    method: string,
    expected: readonly number[],
    body?: unknown,
  ): Promise<KeycloakResponse> {
    const send = async () =>
      keycloakFetch(operation, url, {
        method,
        headers: {
          authorization: `Bearer ${await this.pat.get()}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs: this.options.timeoutMs,
        expected,
      });
    try {
      return await send();
    } catch (error) {
      if (patRefused(error)) {
        this.pat.invalidate();
        return send();
      }
      throw error;
    }
  }
}

/** Whether Keycloak refused the PAT itself, rather than the request it carried. */
function patRefused(error: unknown): boolean {
  return (
    error instanceof KeycloakError &&
    (error.status === 401 || (error.status === 403 && error.error === 'invalid_bearer_token'))
  );
}
