import { Injectable } from '@nestjs/common';
import { type GrantExpiry, GrantRecordRepository, type GrantWriter } from '@app/grant-record';
import { KeycloakError, KeycloakUnavailableError } from '@app/keycloak';
import { log, metrics } from '@app/observability';
import { RecentRequestRepository } from '../permission-requests/recent-request.repository.ts';
import { ExpiredGrants } from './expired-grants.ts';
import { GrantCleanupRepository } from './grant-cleanup.repository.ts';
import type { Party } from './grant-entry.ts';
import { GrantReconciler } from './grant-reconciler.ts';
import { PartyDirectory } from './party-directory.ts';

const cleanupLog = log.child({ component: 'grant-cleanup' });

/** What a change of one party's access to one album may do, in the order that keeps it safe. */
export interface AccessChange {
  /** Refuses a person whose account is disabled (a `409`); asked once per change. */
  requireEnabled(): Promise<void>;
  /**
   * Grants: `inKeycloak` first, then the record widened to `scopes`. RPTs are honoured for a
   * scope only once Keycloak has the grant, so a failure in between grants nothing. With
   * `expiresAt`, the party's grant then ends at that instant (`null`: never); without, it keeps
   * its expiry (a new grant has none).
   */
  grant(
    scopes: readonly string[],
    inKeycloak: () => Promise<void>,
    expiresAt?: GrantExpiry,
  ): Promise<void>;
  /**
   * Sets when the party's grant of `scopes`, which it holds already in Keycloak and in the record,
   * ends (`null`: never): no call to Keycloak, and none is needed, as Keycloak's grants last until
   * removed and the record decides what they open. Written as a widen, so a grant whose old
   * expiry came while the change ran is kept with the new one.
   */
  keep(scopes: readonly string[], expiresAt: GrantExpiry): Promise<void>;
  /**
   * Revokes: the record narrowed to `keep` first, then `inKeycloak`, then the record narrowed
   * again (a grant Keycloak kept meanwhile is not honoured). The revocation is in force once the
   * record is narrowed: when Keycloak fails in between, a clean-up of the pair is recorded before
   * the change ends (`GrantCleanupRelay` finishes it) and the revocation succeeds. `requests`: the
   * pending requests (ticket ids, or `EVERY_REQUEST`) that `inKeycloak` withdraws, for the
   * clean-up to withdraw too.
   */
  revoke(
    keep: readonly string[],
    inKeycloak: () => Promise<void>,
    requests?: readonly string[],
  ): Promise<void>;
  /** Narrows the record to what Keycloak grants the party now; returns what was taken away. */
  narrowToKeycloak(): Promise<string[]>;
  /** What the party holds now by the record. */
  held(): Promise<string[]>;
  /** What the party holds now by the record, and when that ends (`null`: never). */
  current(): Promise<{ scopes: string[]; expiresAt: GrantExpiry }>;
}

/**
 * Every change of what a party holds on an album, by sharing and by answering requests alike: one
 * change of the party's access to the album at a time on any instance (the grant record's lock),
 * the record and Keycloak changed in the order that never leaves more access than either grants,
 * and the recent-request answers of the party forgotten afterwards. A change starts by removing
 * the party's grant if it has expired, as the sweep would (`ExpiredGrants`): what follows starts
 * from nothing held, and a new share never inherits the expired one's scopes.
 */
@Injectable()
export class GrantService {
  constructor(
    private readonly record: GrantRecordRepository,
    private readonly recentRequests: RecentRequestRepository,
    private readonly parties: PartyDirectory,
    private readonly reconciler: GrantReconciler,
    private readonly cleanups: GrantCleanupRepository,
    private readonly expired: ExpiredGrants,
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
        this.record.exclusive(album.resourceId, party.subject, async (writer) => {
          const ended = await writer.takeExpired();
          if (ended !== undefined) {
            await this.expired.record(ended, party);
          }
          return work(this.accessChange(writer, album, party));
        }),
    );
  }

  private accessChange(
    writer: GrantWriter,
    album: { readonly albumId: string; readonly resourceId: string },
    party: Party,
  ): AccessChange {
    const { resourceId } = album;
    let enabled: Promise<void> | undefined;
    const requireEnabled = () => (enabled ??= this.parties.requireEnabled(party));
    return {
      requireEnabled,
      grant: async (scopes, inKeycloak, expiresAt) => {
        await requireEnabled();
        await inKeycloak();
        await writer.widen(scopes, expiresAt);
      },
      keep: (scopes, expiresAt) => writer.widen(scopes, expiresAt),
      revoke: async (keep, inKeycloak, requests = []) => {
        await writer.narrow(keep);
        try {
          await inKeycloak();
        } catch (error) {
          if (!(error instanceof KeycloakError || error instanceof KeycloakUnavailableError)) {
            throw error;
          }
          // In force already: Keycloak's side is left to the clean-up, recorded before the answer.
          await this.cleanups.record(album, party, requests);
          metrics.grantCleanups.inc({ result: 'recorded' });
          cleanupLog.warn(
            {
              event: 'grant.cleanup.recorded',
              albumId: album.albumId,
              resourceId,
              subject: party.subject,
              error: error.message,
            },
            'revocation in force; Keycloak failed, its grants are left to the clean-up',
          );
        }
        await writer.narrow(keep);
      },
      narrowToKeycloak: () => this.reconciler.narrowPartyToKeycloak(writer, resourceId, party),
      held: () => this.record.held(resourceId, party.subject),
      current: () => this.record.grantOf(resourceId, party.subject),
    };
  }
}
