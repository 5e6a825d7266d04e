import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
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
 * Keycloak never invalidates an RPT when a grant is removed. Revoking a user's access records the
 * moment here; RPTs issued before it no longer open the resource, on every instance at once.
 */
@Injectable()
export class RptRevocations {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** When `subject`'s access to the resource was last revoked, if ever. */
  async revokedAt(resourceId: string, subject: string): Promise<Date | undefined> {
    const rows = (await this.dataSource.query(
      `SELECT revoked_at FROM ${UMA_ACCESS_SCHEMA}.rpt_revocations WHERE resource_id = $1 AND subject = $2`,
      [resourceId, subject],
    )) as { revoked_at: Date }[];
    return rows[0]?.revoked_at;
  }

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
