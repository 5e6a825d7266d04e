import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { Principal } from './principal.ts';
import { UMA_ACCESS_SCHEMA } from './rpt-revocations.migration.ts';

/**
 * Whether an RPT was issued before the caller's access to the resource was last revoked. `iat`
 * has whole seconds, so a token from the second of the revocation counts as older: refusing it
 * is the safe side, and the next token is accepted.
 */
export function issuedBeforeRevocation(principal: Principal, revokedAt: Date | undefined): boolean {
  return revokedAt !== undefined && principal.issuedAt * 1000 <= revokedAt.getTime();
}

/**
 * Adds `revoked_at`, when `subject`'s access to the resource whose id is `resourceIdColumn` was
 * last revoked, to a query: resolvers read it with the entity, in one round trip.
 */
export function selectRevokedAt<T extends ObjectLiteral>(
  query: SelectQueryBuilder<T>,
  resourceIdColumn: string,
  subject: string,
): SelectQueryBuilder<T> {
  return query
    .addSelect(
      (revocation) =>
        revocation
          .select('revocation.revoked_at')
          .from(`${UMA_ACCESS_SCHEMA}.rpt_revocations`, 'revocation')
          .where(
            `revocation.resource_id = ${resourceIdColumn} AND revocation.subject = :revocationSubject`,
          ),
      'revoked_at',
    )
    .setParameter('revocationSubject', subject);
}

/**
 * Keycloak never invalidates an RPT when a grant is removed. Revoking a user's access records the
 * moment here; RPTs issued before it no longer open the resource, on every instance at once
 * (the `@Scopes` guard reads it through the resolver, see `selectRevokedAt`).
 */
@Injectable()
export class RptRevocations {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records that `subject` lost (some of) its access now; `manager` joins the caller's transaction. */
  async record(resourceId: string, subject: string, manager?: EntityManager): Promise<void> {
    await (manager ?? this.dataSource).query(
      `INSERT INTO ${UMA_ACCESS_SCHEMA}.rpt_revocations (resource_id, subject, revoked_at)
       VALUES ($1, $2, clock_timestamp())
       ON CONFLICT (resource_id, subject) DO UPDATE SET revoked_at = EXCLUDED.revoked_at`,
      [resourceId, subject],
    );
  }
}
