import { Injectable } from '@nestjs/common';
import type { ExpiredGrant } from '@app/grant-record';
import { log } from '@app/observability';
import type { EntityManager } from 'typeorm';
import { AlbumDirectory } from '../albums/album-directory.ts';
import { AuditRepository } from '../audit/audit.repository.ts';
import { GrantCleanupRepository } from './grant-cleanup.repository.ts';
import type { Party } from './grant-entry.ts';

const expiryLog = log.child({ component: 'grant-expiry' });

/**
 * What the end of a grant leaves behind once its row is removed from the grant record (by the
 * sweep, or by a change of the party's access that finds it expired): the audit's `expired`, told
 * as the owner's doing (the owner set the expiry), and Keycloak's side, the party's tickets and
 * partner share, handed to the clean-up relay, which makes Keycloak grant no more than the record
 * holds then. The grant stopped opening the album at its expiry already; this is housekeeping.
 */
@Injectable()
export class ExpiredGrants {
  constructor(
    private readonly albums: AlbumDirectory,
    private readonly audit: AuditRepository,
    private readonly cleanups: GrantCleanupRepository,
  ) {}

  /**
   * Records the end of `grant`, held by `party`; in `manager`'s transaction when given (the
   * sweep's, which removed it). An album gone meanwhile took its Keycloak resource, and the
   * tickets on it, with it: nothing is left to record.
   */
  async record(grant: ExpiredGrant, party: Party, manager?: EntityManager): Promise<void> {
    const album = (await this.albums.published([grant.resourceId])).get(grant.resourceId);
    if (album === undefined) {
      return;
    }
    await this.audit.record(
      {
        albumId: album.albumId,
        action: 'expired',
        actor: { subject: album.ownerId, username: album.ownerUsername },
        subject: party,
        scopes: grant.scopes,
      },
      manager,
    );
    await this.cleanups.record(album, party, [], manager);
    expiryLog.info(
      {
        event: 'grant.expired',
        albumId: album.albumId,
        resourceId: grant.resourceId,
        subject: party.subject,
        scopes: grant.scopes,
      },
      "a share's expiry came: its grant is removed and Keycloak's side left to the clean-up",
    );
  }
}
