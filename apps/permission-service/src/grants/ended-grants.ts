import { Injectable } from '@nestjs/common';
import { GrantRecordRepository } from '@app/grant-record';
import { log } from '@app/observability';
import { AlbumDirectory } from '../albums/album-directory.ts';
import { GrantCleanupRepository } from './grant-cleanup.repository.ts';
import type { Party } from './grant-entry.ts';
import { GrantService } from './grant.service.ts';
import { KeycloakCleanup } from './keycloak-cleanup.ts';

const endedLog = log.child({ component: 'grant-expiry' });

/**
 * Clears what is left in Keycloak of a party's ended grant (expired, or revoked while Keycloak
 * failed) before the party asks for access again.
 * Keycloak keeps an expired share's granted tickets until the clean-up relay removes them, and a
 * request for scopes Keycloak still grants records nothing there: the requester would be told it
 * holds access that no RPT is honoured for, and the owner would never see the request. So a
 * request first removes the expired grant (as the sweep would) and does the pair's clean-up in
 * Keycloak at once. Nothing is asked of Keycloak when the party has no ended grant on the album.
 */
@Injectable()
export class EndedGrants {
  constructor(
    private readonly record: GrantRecordRepository,
    private readonly cleanups: GrantCleanupRepository,
    private readonly albums: AlbumDirectory,
    private readonly grants: GrantService,
    private readonly keycloak: KeycloakCleanup,
  ) {}

  async clearBeforeRequest(resourceId: string, party: Party): Promise<void> {
    const [expired, pending] = await Promise.all([
      this.record.hasExpired(resourceId, party.subject),
      this.cleanups.of(resourceId, party.subject),
    ]);
    if (!expired && pending === undefined) {
      return;
    }
    if (expired) {
      const album = (await this.albums.published([resourceId])).get(resourceId);
      if (album === undefined) {
        return;
      }
      // A change of the party's access removes the expired grant first, recording its end.
      await this.grants.change(album, party, () => Promise.resolve());
    }
    const job = await this.cleanups.of(resourceId, party.subject);
    if (job === undefined) {
      return;
    }
    try {
      await this.keycloak.perform(job);
      await this.cleanups.complete(job);
    } catch (error) {
      // The relay retries it; the request goes on with what Keycloak holds now.
      endedLog.warn(
        {
          event: 'grant.cleanup.deferred',
          resourceId,
          subject: party.subject,
          error: String(error),
        },
        "an ended grant's Keycloak side could not be cleared before a request; the relay retries",
      );
    }
  }
}
