import { Injectable } from '@nestjs/common';
import { ProblemException } from '@app/common';
import { GrantRecordRepository, type GrantWriter } from '@app/grant-record';
import { KeycloakError, KeycloakUnavailableError } from '@app/keycloak';
import { RecentRequestRepository } from '../permission-requests/recent-request.repository.ts';
import type { Party } from './grant-entry.ts';
import { GrantReconciler } from './grant-reconciler.ts';
import { PartyDirectory } from './party-directory.ts';

/** Keycloak failed after the revocation took effect here: say exactly that. */
function revocationIncomplete(error: unknown): ProblemException {
  return new ProblemException({
    status: 503,
    code: 'revocation-incomplete',
    detail:
      'The access is revoked: from now on the album service refuses every RPT of this user for the revoked scopes. ' +
      `Keycloak ${error instanceof KeycloakUnavailableError ? 'could not be reached' : 'refused a step'} while removing the grants, so some remain there; repeat the request to remove them.`,
    headers: { 'retry-after': '5' },
  });
}

/** What a change of one party's access to one album may do, in the order that keeps it safe. */
export interface AccessChange {
  /** Refuses a person whose account is disabled (a `409`); asked once per change. */
  requireEnabled(): Promise<void>;
  /**
   * Grants: `inKeycloak` first, then the record widened to `scopes`. RPTs are honoured for a
   * scope only once Keycloak has the grant, so a failure in between grants nothing.
   */
  grant(scopes: readonly string[], inKeycloak: () => Promise<void>): Promise<void>;
  /**
   * Revokes: the record narrowed to `keep` first, then `inKeycloak`, then the record narrowed
   * again (a grant Keycloak kept meanwhile is not honoured). A failure in between leaves the party
   * with less access, never more, and is answered as such (`revocation-incomplete`).
   */
  revoke(keep: readonly string[], inKeycloak: () => Promise<void>): Promise<void>;
  /** Narrows the record to what Keycloak grants the party now; returns what was taken away. */
  narrowToKeycloak(): Promise<string[]>;
  /** What the party holds now by the record. */
  held(): Promise<string[]>;
}

/**
 * Every change of what a party holds on an album, by sharing and by answering requests alike: one
 * change of the party's access to the album at a time on any instance (the grant record's lock),
 * the record and Keycloak changed in the order that never leaves more access than either grants,
 * and the recent-request answers of the party forgotten afterwards.
 */
@Injectable()
export class GrantService {
  constructor(
    private readonly record: GrantRecordRepository,
    private readonly recentRequests: RecentRequestRepository,
    private readonly parties: PartyDirectory,
    private readonly reconciler: GrantReconciler,
  ) {}

  /** Runs `work` as the only change of `party`'s access to the album. */
  change<T>(
    album: { readonly albumId: string; readonly resourceId: string },
    party: Party,
    work: (access: AccessChange) => Promise<T>,
  ): Promise<T> {
    return this.recentRequests.forgetAfter(
      { albumId: album.albumId, requesterId: party.subject },
      () =>
        this.record.exclusive(album.resourceId, party.subject, (writer) =>
          work(this.accessChange(writer, album.resourceId, party)),
        ),
    );
  }

  private accessChange(writer: GrantWriter, resourceId: string, party: Party): AccessChange {
    let enabled: Promise<void> | undefined;
    const requireEnabled = () => (enabled ??= this.parties.requireEnabled(party));
    return {
      requireEnabled,
      grant: async (scopes, inKeycloak) => {
        await requireEnabled();
        await inKeycloak();
        await writer.widen(scopes);
      },
      revoke: async (keep, inKeycloak) => {
        await writer.narrow(keep);
        try {
          await inKeycloak();
        } catch (error) {
          if (error instanceof KeycloakError || error instanceof KeycloakUnavailableError) {
            throw revocationIncomplete(error);
          }
          throw error;
        }
        await writer.narrow(keep);
      },
      narrowToKeycloak: () => this.reconciler.narrowPartyToKeycloak(writer, resourceId, party),
      held: () => this.record.held(resourceId, party.subject),
    };
  }
}
