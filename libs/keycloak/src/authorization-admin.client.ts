import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { KeycloakError } from './keycloak-http.ts';
import { KEYCLOAK_OPTIONS, type KeycloakOptions } from './keycloak.options.ts';
import {
  ProtectionApiClient,
  type RegisteredResource,
  resourceRepresentation,
  type ResourceDescription,
  toRegisteredResource,
} from './protection-api.client.ts';

/** A realm user (a person, or a client's service account). */
export interface RealmUser {
  readonly id: string;
  readonly username: string;
}

/** A realm user as the lookup by username finds it, read at that moment. */
export interface FoundUser extends RealmUser {
  /** A disabled user cannot log in or refresh; its access tokens live until they expire. */
  readonly enabled: boolean;
}

/** A client policy that lets one partner client in, and the client's internal id. */
export interface PartnerPolicy {
  readonly policyId: string;
  readonly clientId: string;
  readonly clientUuid: string;
}

/** A share permission as its name tells it, before its scopes are read. */
interface SharePermission {
  readonly permissionId: string;
  readonly resourceId: string;
  readonly clientId: string;
}

/** A scope permission letting one partner use some scopes of one resource. */
export interface PartnerPermission extends SharePermission {
  readonly scopes: readonly string[];
}

const userSchema = z
  .object({ id: z.string(), username: z.string(), enabled: z.boolean().optional() })
  .loose();
const namedSchema = z.object({ id: z.string(), name: z.string() }).loose();
const clientPolicySchema = namedSchema.extend({
  config: z.object({ clients: z.string().optional() }).loose().optional(),
});

const PARTNER_POLICY_PREFIX = 'partner ';
const SHARE_PERMISSION_PREFIX = 'share ';

function shareName(resourceId: string, clientId: string): string {
  return `${SHARE_PERMISSION_PREFIX}${resourceId} ${clientId}`;
}

/**
 * The admin REST API, called with the resource server's service account, for what the protection
 * API cannot do: user names (realm-management `view-users`), resources created for their owner
 * and grants to partner clients (both `manage-authorization`). Keycloak evaluates a partner
 * calling with its own client credentials as the client, and a permission ticket can only name a
 * user as requester, so a partner's share is a scope permission with a client policy on the
 * resource server.
 */
@Injectable()
export class AuthorizationAdminClient {
  private readonly usernames = new Map<string, string>();
  private partnersByUuid = new Map<string, PartnerPolicy>();
  private scopeNames = new Map<string, string>();

  constructor(
    @Inject(KEYCLOAK_OPTIONS) private readonly options: KeycloakOptions,
    private readonly protection: ProtectionApiClient,
  ) {}

  private get realmUrl(): string {
    return `${this.options.url}/admin/realms/${encodeURIComponent(this.options.realm)}`;
  }

  private get resourceServerUrl(): string {
    if (this.options.clientUuid === undefined) {
      throw new Error(
        'KEYCLOAK_CLIENT_UUID is needed to register resources and manage partner shares',
      );
    }
    return `${this.realmUrl}/clients/${encodeURIComponent(this.options.clientUuid)}/authz/resource-server`;
  }

  /**
   * Registers a resource of the resource server, owned by `description.ownerId`. Through the admin
   * API because Keycloak 26.6 and later ignore `owner` when a resource server creates a resource
   * with its PAT on the protection API (keycloak#49910); everything else about resources stays on
   * the protection API. Keycloak answers 409 when one with this name and owner exists.
   */
  async createResource(description: ResourceDescription): Promise<RegisteredResource> {
    const response = await this.protection.call(
      'create resource',
      `${this.resourceServerUrl}/resource`,
      'POST',
      [201],
      resourceRepresentation(description),
    );
    return toRegisteredResource(response.body);
  }

  /** The user with this id; `undefined` when there is none (e.g. a client's internal id). */
  async userById(id: string): Promise<RealmUser | undefined> {
    const known = this.usernames.get(id);
    if (known !== undefined) {
      return { id, username: known };
    }
    const response = await this.protection.call(
      'get user',
      `${this.realmUrl}/users/${encodeURIComponent(id)}`,
      'GET',
      [200, 404],
    );
    if (response.status === 404) {
      return undefined;
    }
    const user = userSchema.parse(response.body);
    this.remember(user);
    return { id: user.id, username: user.username };
  }

  /**
   * The user's email address when Keycloak holds a verified one and the user is enabled, read now
   * (realm-management `view-users`); `undefined` otherwise, a deleted user included. Never cached:
   * a changed address is used from the next email on.
   */
  async verifiedEmail(id: string): Promise<string | undefined> {
    const response = await this.protection.call(
      'get user',
      `${this.realmUrl}/users/${encodeURIComponent(id)}`,
      'GET',
      [200, 404],
    );
    if (response.status === 404) {
      return undefined;
    }
    const user = userSchema
      .extend({ email: z.string().optional(), emailVerified: z.boolean().optional() })
      .parse(response.body);
    return user.enabled !== false && user.emailVerified === true && user.email !== undefined
      ? user.email
      : undefined;
  }

  async userByUsername(username: string): Promise<FoundUser | undefined> {
    const params = new URLSearchParams({ username, exact: 'true', briefRepresentation: 'true' });
    const response = await this.protection.call(
      'find user',
      `${this.realmUrl}/users?${params.toString()}`,
      'GET',
      [200],
    );
    const user = z
      .array(userSchema)
      .parse(response.body)
      .find((candidate) => candidate.username === username.toLowerCase());
    if (user !== undefined) {
      this.remember(user);
    }
    return user === undefined
      ? undefined
      : { id: user.id, username: user.username, enabled: user.enabled !== false };
  }

  /** The name of a resource-server scope, by id. */
  async scopeName(scopeId: string): Promise<string | undefined> {
    if (!this.scopeNames.has(scopeId)) {
      const response = await this.protection.call(
        'list scopes',
        `${this.resourceServerUrl}/scope`,
        'GET',
        [200],
      );
      this.scopeNames = new Map(
        z
          .array(namedSchema)
          .parse(response.body)
          .map((scope) => [scope.id, scope.name]),
      );
    }
    return this.scopeNames.get(scopeId);
  }

  /** The partner whose client has this internal id, among the partner policies read so far. */
  knownPartnerByClientUuid(clientUuid: string): PartnerPolicy | undefined {
    return this.partnersByUuid.get(clientUuid);
  }

  /** The partner whose client has this internal id, among partners this service has seen. */
  async partnerByClientUuid(clientUuid: string): Promise<PartnerPolicy | undefined> {
    if (!this.partnersByUuid.has(clientUuid)) {
      await this.loadPartnerPolicies();
    }
    return this.partnersByUuid.get(clientUuid);
  }

  /**
   * The partner's client policy when this service has created one (it has shared with the partner
   * or the partner asked through it); a read only, so looking a name up never writes to Keycloak.
   */
  async partnerPolicy(clientId: string): Promise<PartnerPolicy | undefined> {
    const existing = this.knownPartner(clientId);
    if (existing !== undefined) {
      return existing;
    }
    await this.loadPartnerPolicies();
    return this.knownPartner(clientId);
  }

  /**
   * The partner's client policy, created when missing; `undefined` when no such client exists.
   * Only for changes: a share with the partner, or a request the partner makes.
   */
  async ensurePartnerPolicy(clientId: string): Promise<PartnerPolicy | undefined> {
    const existing = await this.partnerPolicy(clientId);
    if (existing !== undefined) {
      return existing;
    }
    try {
      await this.protection.call(
        'create partner policy',
        `${this.resourceServerUrl}/policy/client`,
        'POST',
        [201],
        {
          name: `${PARTNER_POLICY_PREFIX}${clientId}`,
          description: `Lets the partner client ${clientId} in where a share permission names this policy`,
          clients: [clientId],
          logic: 'POSITIVE',
        },
      );
    } catch (error) {
      // 409: created meanwhile by another instance.
      if (!(error instanceof KeycloakError && error.status === 409)) {
        throw error;
      }
    }
    await this.loadPartnerPolicies();
    return this.knownPartner(clientId);
  }

  /** Forgets the partner policies read so far (one may have been deleted in Keycloak). */
  forgetPartnerPolicies(): void {
    this.partnersByUuid = new Map();
  }

  private knownPartner(clientId: string): PartnerPolicy | undefined {
    return [...this.partnersByUuid.values()].find((partner) => partner.clientId === clientId);
  }

  /** The partner share permissions on a resource. */
  async partnerPermissions(resourceId: string): Promise<PartnerPermission[]> {
    const found = await this.sharePermissions({ resource: resourceId });
    return this.withScopes(found.filter((permission) => permission.resourceId === resourceId));
  }

  /** The partner's share permission on one resource, if any: asks about that partner only. */
  async partnerPermission(
    resourceId: string,
    clientId: string,
  ): Promise<PartnerPermission | undefined> {
    const found = await this.sharePermission(resourceId, clientId);
    return found === undefined ? undefined : (await this.withScopes([found]))[0];
  }

  /** Every resource shared with the partner, with its scopes. */
  async permissionsOfPartner(clientId: string): Promise<PartnerPermission[]> {
    const found = await this.sharePermissions({ name: ` ${clientId}` });
    return this.withScopes(found.filter((permission) => permission.clientId === clientId));
  }

  /** The share permission of one partner on one resource, found by its name, scopes unread. */
  private async sharePermission(
    resourceId: string,
    clientId: string,
  ): Promise<SharePermission | undefined> {
    // The name filter matches a substring: a longer client id may match too.
    return (await this.sharePermissions({ name: shareName(resourceId, clientId) })).find(
      (permission) => permission.resourceId === resourceId && permission.clientId === clientId,
    );
  }

  private async sharePermissions(filter: Record<string, string>): Promise<SharePermission[]> {
    const params = new URLSearchParams({ ...filter, type: 'scope', first: '0', max: '1000' });
    const response = await this.protection.call(
      'find share permissions',
      `${this.resourceServerUrl}/permission?${params.toString()}`,
      'GET',
      [200, 204],
    );
    // 204: the resource filter names no resource (e.g. an album deleted meanwhile).
    return z
      .array(namedSchema)
      .parse(response.status === 204 ? [] : response.body)
      .flatMap((permission) => {
        const [prefix, resourceId, clientId, ...rest] = permission.name.split(' ');
        return `${prefix} ` === SHARE_PERMISSION_PREFIX &&
          resourceId !== undefined &&
          clientId !== undefined &&
          rest.length === 0
          ? [{ permissionId: permission.id, resourceId, clientId }]
          : [];
      });
  }

  private async withScopes(found: readonly SharePermission[]): Promise<PartnerPermission[]> {
    return Promise.all(
      found.map(async (permission) => {
        const scopes = await this.protection.call(
          'get share permission scopes',
          `${this.resourceServerUrl}/policy/${encodeURIComponent(permission.permissionId)}/scopes`,
          'GET',
          [200],
        );
        return {
          ...permission,
          scopes: z
            .array(namedSchema)
            .parse(scopes.body)
            .map((scope) => scope.name)
            .sort(),
        };
      }),
    );
  }

  /** Lets the partner use exactly `scopes` on the resource (none: removes its permission). */
  async setPartnerPermission(
    resourceId: string,
    partner: PartnerPolicy,
    scopes: readonly string[],
  ): Promise<void> {
    const existing = await this.sharePermission(resourceId, partner.clientId);
    await this.replacePartnerPermission(existing, resourceId, partner, scopes);
  }

  /**
   * {@link setPartnerPermission}, given the partner's permission on the resource as just read
   * (`undefined`: it has none), which spares looking it up again.
   */
  async replacePartnerPermission(
    existing: Pick<PartnerPermission, 'permissionId'> | undefined,
    resourceId: string,
    partner: PartnerPolicy,
    scopes: readonly string[],
  ): Promise<void> {
    if (existing !== undefined) {
      await this.protection.call(
        'delete share permission',
        `${this.resourceServerUrl}/policy/${encodeURIComponent(existing.permissionId)}`,
        'DELETE',
        [204, 404],
      );
    }
    if (scopes.length > 0) {
      await this.protection.call(
        'create share permission',
        `${this.resourceServerUrl}/permission/scope`,
        'POST',
        [201],
        {
          name: shareName(resourceId, partner.clientId),
          description: `Owner's share of resource ${resourceId} with partner ${partner.clientId}`,
          resources: [resourceId],
          scopes: [...scopes],
          policies: [partner.policyId],
          decisionStrategy: 'UNANIMOUS',
        },
      );
    }
  }

  private async loadPartnerPolicies(): Promise<void> {
    const params = new URLSearchParams({ type: 'client', first: '0', max: '1000' });
    const response = await this.protection.call(
      'list partner policies',
      `${this.resourceServerUrl}/policy?${params.toString()}`,
      'GET',
      [200],
    );
    const partners = new Map<string, PartnerPolicy>();
    for (const policy of z.array(clientPolicySchema).parse(response.body)) {
      const uuids = z.array(z.string()).safeParse(JSON.parse(policy.config?.clients ?? '[]'));
      const [clientUuid] = uuids.success ? uuids.data : [];
      if (policy.name.startsWith(PARTNER_POLICY_PREFIX) && clientUuid !== undefined) {
        const clientId = policy.name.slice(PARTNER_POLICY_PREFIX.length);
        partners.set(clientUuid, { policyId: policy.id, clientId, clientUuid });
      }
    }
    this.partnersByUuid = partners;
  }

  private remember(user: { id: string; username: string }): void {
    if (this.usernames.size >= 10_000) {
      this.usernames.clear();
    }
    this.usernames.set(user.id, user.username);
  }
}
