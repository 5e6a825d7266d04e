import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { KEYCLOAK_OPTIONS, type KeycloakOptions } from './keycloak.options.ts';
import { ProtectionApiClient } from './protection-api.client.ts';

/** A change made through Keycloak's admin REST API (the admin console included). */
export interface AdminEvent {
  readonly id: string;
  /** Keycloak's clock, epoch milliseconds. */
  readonly time: number;
  readonly operationType: string;
  readonly resourceType: string;
  /** E.g. `clients/<uuid>/authz/resource-server/policy/<id>`, `users/<id>`. */
  readonly resourcePath: string;
  /** The JSON of what was changed (the realm's `adminEventsDetailsEnabled`). */
  readonly representation: string | undefined;
}

/** Which admin events to read, from `from` (inclusive) on, oldest first. */
export interface AdminEventQuery {
  readonly from: number;
  readonly resourceTypes: readonly string[];
  readonly operationTypes: readonly string[];
  readonly max: number;
}

const adminEventSchema = z
  .object({
    id: z.string(),
    time: z.number(),
    operationType: z.string(),
    resourceType: z.string().optional().default(''),
    resourcePath: z.string().optional().default(''),
    representation: z.string().optional(),
  })
  .loose();

/**
 * The realm's admin events (realm-management `view-events`), read incrementally by time: the cost
 * of a read follows the changes since the last one, not the number of grants.
 */
@Injectable()
export class AdminEventsClient {
  constructor(
    @Inject(KEYCLOAK_OPTIONS) private readonly options: KeycloakOptions,
    private readonly protection: ProtectionApiClient,
  ) {}

  async since(query: AdminEventQuery): Promise<AdminEvent[]> {
    const params = new URLSearchParams({
      dateFrom: String(query.from),
      direction: 'asc',
      first: '0',
      max: String(query.max),
    });
    query.resourceTypes.forEach((type) => params.append('resourceTypes', type));
    query.operationTypes.forEach((type) => params.append('operationTypes', type));
    const response = await this.protection.call(
      'read admin events',
      `${this.options.url}/admin/realms/${encodeURIComponent(this.options.realm)}/admin-events?${params.toString()}`,
      'GET',
      [200],
    );
    return z
      .array(adminEventSchema)
      .parse(response.body)
      .map((event) => ({
        id: event.id,
        time: event.time,
        operationType: event.operationType,
        resourceType: event.resourceType,
        resourcePath: event.resourcePath,
        representation: event.representation,
      }));
  }
}
