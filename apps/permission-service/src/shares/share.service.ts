import { Injectable } from '@nestjs/common';
import type { Principal } from '@app/auth';
import { notFoundProblem, type Page, readPage, validationProblem } from '@app/common';
import { KeycloakError, KeycloakUnavailableError } from '@app/keycloak';
import { AccessPolicy, Permission } from '../access-policy/access-policy.ts';
import type { AlbumResource } from '../albums/album-directory.ts';
import { PermissionFlows } from '../audit/permission-flows.ts';
import { EVERY_REQUEST } from '../grants/grant-cleanup.repository.ts';
import { GrantDirectory } from '../grants/grant-directory.ts';
import {
  effectiveScopes,
  grantedScopes,
  type NamedTicket,
  type Party,
  scopeNames,
} from '../grants/grant-entry.ts';
import { GrantService } from '../grants/grant.service.ts';
import { KeycloakGrants } from '../grants/keycloak-grants.ts';
import { type LookupMode, PartyDirectory } from '../grants/party-directory.ts';
import { PendingRequestRepository } from '../permission-requests/pending-request.repository.ts';
import type { ShareDto } from './share.dto.ts';
import { ShareListRepository } from './share-list.repository.ts';

const USERNAME = /^[\p{L}\p{N}._@+-]{1,255}$/u;

/** A cursor's position: the last holder's subject (its username is read back with it). */
function holderPosition(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= 64 ? value : undefined;
}

function toShare(
  party: Pick<Party, 'subject' | 'username' | 'partner'>,
  scopes: readonly string[],
  expiresAt: Date | null,
): ShareDto {
  return {
    userId: party.subject,
    username: party.username,
    kind: party.partner ? 'partner' : 'person',
    scopes: [...scopes],
    expiresAt: expiresAt?.toISOString() ?? null,
  };
}

/** Whether two expiries are the same instant (`null`: none). */
function sameExpiry(a: Date | null, b: Date | null): boolean {
  return (a?.getTime() ?? null) === (b?.getTime() ?? null);
}

/**
 * The answers that must not tell an owner whether a name exists in the realm: an unknown user, a
 * made-up name and a user without a share get the same words.
 */
const noSuchUser = () => notFoundProblem('There is no such user to share this album with.');
const holdsNothing = () => notFoundProblem('This user holds nothing on this album.');

/**
 * Direct sharing and revocation by an album's owner, with a person or a partner's service account.
 * The changes themselves go through `GrantService`, as an owner's answers to requests do.
 */
@Injectable()
export class ShareService {
  constructor(
    private readonly access: AccessPolicy,
    private readonly parties: PartyDirectory,
    private readonly directory: GrantDirectory,
    private readonly grants: GrantService,
    private readonly keycloak: KeycloakGrants,
    private readonly flows: PermissionFlows,
    private readonly holders: ShareListRepository,
    private readonly pending: PendingRequestRepository,
  ) {}

  /**
   * Who holds what on the album, by username: the grant record, which RPTs are held to, so the
   * parties listed are exactly those whose RPTs the album service honours. Keycloak is not asked
   * on this read: a grant taken away in Keycloak directly is narrowed in the record by the watch
   * of Keycloak (`KeycloakWatch`) within its interval, when it also stops opening the album. Only
   * a holder the party record does not name yet (a grant recorded before names were kept) is
   * asked of Keycloak, once, and kept; such holders come first, so the first page names them.
   */
  async list(
    owner: Principal,
    albumId: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<ShareDto>> {
    const album = await this.access.requireAccess(owner, Permission.AlbumSharesRead, { albumId });
    const read = (after: string | undefined, count: number) =>
      this.holders.holders(album.resourceId, after, count);
    const page = await readPage({
      limit,
      cursor,
      parse: holderPosition,
      read: async (after, count) => {
        const rows = await read(after, count);
        const unnamed = rows.filter((row) => row.username === null);
        for (const row of unnamed) {
          await this.parties.partyBySubject(row.subject);
        }
        // Named now, each holder takes its place by username: the page is read again.
        return unnamed.length > 0 ? read(after, count) : rows;
      },
      positionOf: (row) => row.subject,
    });
    return {
      // A holder Keycloak no longer knows (a deleted user, until the watch narrows its grants)
      // stays unnamed and is left out.
      items: page.items.flatMap((row) =>
        row.username === null
          ? []
          : [
              toShare(
                { subject: row.subject, username: row.username, partner: row.partner === true },
                [...new Set(row.scopes)].sort(),
                row.expiresAt,
              ),
            ],
      ),
      nextCursor: page.nextCursor,
    };
  }

  /**
   * Makes `username` hold exactly `scopes` on the album, until `expiresAt` (`null`: until revoked).
   * Extending or shortening the expiry alone changes only the record: Keycloak's grants last until
   * removed, and the record decides what they open.
   */
  async put(
    owner: Principal,
    albumId: string,
    username: string,
    scopes: readonly string[],
    expiresAt: Date | null,
  ): Promise<ShareDto> {
    const album = await this.access.requireAccess(owner, Permission.AlbumSharesWrite, { albumId });
    const party = await this.party(owner, username, 'write');
    if (party === undefined) {
      throw noSuchUser();
    }
    const unknown = scopes.filter((scope) => !album.scopes.includes(scope));
    if (unknown.length > 0) {
      throw validationProblem([
        { field: 'scopes', message: `the album has no scope ${unknown.join(', ')}` },
      ]);
    }
    const { held, dropped, changed, widened, pending } = await this.grants.change(
      album,
      party,
      async (access) => {
        const recorded = await access.current();
        const before = await this.directory.entry(album.resourceId, party);
        // The requests still pending once Keycloak grants `scopes`: those the withdrawal and the
        // grant below leave alone.
        let stillPending: readonly NamedTicket[] = before?.pending ?? [];
        const keycloakHeld = before === undefined ? [] : grantedScopes(before);
        const effectiveBefore = before === undefined ? [] : effectiveScopes(before);
        const droppedScopes = [
          ...new Set([...keycloakHeld, ...effectiveBefore, ...(before?.current ?? [])]),
        ].filter((scope) => !scopes.includes(scope));
        const widens = scopes.some((scope) => !effectiveBefore.includes(scope));
        // Narrowing a disabled user's share is a revocation, and always allowed; widening it is not,
        // and is refused before anything changes.
        if (widens) {
          await access.requireEnabled();
        }
        if (droppedScopes.length > 0) {
          await access.revoke(
            scopes,
            () =>
              this.keycloak.withdraw(
                album.resourceId,
                party,
                before,
                (scope) => droppedScopes.includes(scope),
                scopes,
              ),
            (before?.pending ?? [])
              .filter((ticket) => droppedScopes.includes(ticket.scopeName))
              .map((ticket) => ticket.id),
          );
          stillPending = stillPending.filter((ticket) => !droppedScopes.includes(ticket.scopeName));
        }
        if (widens) {
          // Also confirms a grant made in Keycloak directly, which the record did not have.
          const added = scopes.filter((scope) => !keycloakHeld.includes(scope));
          await access.grant(
            scopes,
            async () => {
              if (added.length > 0) {
                const answered = await this.keycloak.grant(album.resourceId, party, before, scopes);
                stillPending = stillPending.filter((ticket) => !answered.includes(ticket.id));
              }
            },
            expiresAt,
          );
        } else {
          // The same scopes (or fewer, narrowed above), which Keycloak and the record hold
          // already: only the expiry changes, as it may for a disabled user's share too.
          await access.keep(scopes, expiresAt);
        }
        return {
          held: effectiveBefore,
          dropped: droppedScopes,
          changed:
            widens ||
            droppedScopes.length > 0 ||
            !sameExpiry(recorded.expiresAt, recorded.scopes.length > 0 ? expiresAt : null),
          widened: widens,
          pending: scopeNames(stillPending),
        };
      },
    );
    await this.pending.set(album, party, pending);
    const step = { albumId: album.albumId, actor: owner, subject: party };
    if (changed) {
      // The person is told when the share gives them more; a narrowing alone is not news to send.
      const told = widened
        ? [{ kind: 'album-shared' as const, recipient: party.subject, albumName: album.name }]
        : [];
      await this.flows.record('shared', { ...step, scopes }, ...told);
    }
    this.flows.succeeded('share');
    const revoked = dropped.filter((scope) => held.includes(scope));
    if (revoked.length > 0) {
      await this.flows.revoked({ ...step, scopes: revoked }, 'narrowed');
    }
    // Keycloak grants every scope of the set now, and the record holds exactly them.
    return toShare(party, [...new Set(scopes)].sort(), expiresAt);
  }

  /** Takes away everything `username` holds or asked for on the album. */
  async remove(owner: Principal, albumId: string, username: string): Promise<void> {
    const album = await this.access.requireAccess(owner, Permission.AlbumSharesWrite, { albumId });
    const party = await this.party(owner, username, 'read');
    if (party === undefined || !(await this.revokeAll(owner, album, party))) {
      throw holdsNothing();
    }
  }

  /**
   * Takes away everything `party` holds or asked for on `album`, whose owner `owner` is (the
   * caller has checked): what `DELETE /albums/:albumId/shares/:username` does once it found the
   * party, also for the shares an invitation link made. `false`, with nothing changed, when the
   * party holds and asked for nothing there.
   */
  async revokeAll(owner: Principal, album: AlbumResource, party: Party): Promise<boolean> {
    // Thrown inside the change, as a refusal (a `4xx`), so that the change forgets nothing.
    const nothingHeld = holdsNothing();
    const change = this.grants.change(album, party, async (access) => {
      const read = await this.directory.entry(album.resourceId, party).then(
        (found) => ({ entry: found }),
        (error: unknown) => {
          if (error instanceof KeycloakError || error instanceof KeycloakUnavailableError) {
            return { failed: error };
          }
          throw error;
        },
      );
      if ('failed' in read) {
        // Keycloak cannot say what the party holds there: what the record holds is revoked now,
        // and Keycloak's side, every grant and request of the party, is left to the clean-up.
        // Holding nothing here, there is nothing this service can vouch for revoking: nothing
        // changes, and the answer is Keycloak's failure.
        const held = await access.held();
        if (held.length === 0) {
          throw read.failed;
        }
        await access.revoke([], () => Promise.reject(read.failed), [EVERY_REQUEST]);
        return held;
      }
      const { entry } = read;
      if (entry === undefined && (await access.held()).length === 0) {
        // Refused inside the change: nothing changed, so nothing is forgotten either.
        throw nothingHeld;
      }
      await access.revoke(
        [],
        () => this.keycloak.withdraw(album.resourceId, party, entry, () => true, []),
        (entry?.pending ?? []).map((ticket) => ticket.id),
      );
      return [
        ...new Set([
          ...(entry === undefined ? [] : grantedScopes(entry)),
          ...scopeNames(entry?.pending ?? []),
          ...(entry?.current ?? []),
        ]),
      ].sort();
    });
    const scopes = await change.catch((error: unknown) => {
      if (error === nothingHeld) {
        return undefined;
      }
      throw error;
    });
    if (scopes === undefined) {
      return false;
    }
    // Every ticket of the party is withdrawn, its requests with its grants.
    await this.pending.forget(album.resourceId, party.id);
    await this.flows.revoked(
      { albumId: album.albumId, actor: owner, subject: party, scopes },
      'removed',
    );
    return true;
  }

  /**
   * The party `username` names; `undefined` for an unknown or made-up name, so that the routes
   * answer those as they answer a user without a share.
   */
  private async party(
    owner: Principal,
    username: string,
    mode: LookupMode,
  ): Promise<Party | undefined> {
    if (username.toLowerCase() === owner.username.toLowerCase()) {
      throw validationProblem([
        { field: 'username', message: 'you cannot share an album with yourself' },
      ]);
    }
    if (!USERNAME.test(username)) {
      return undefined;
    }
    return this.parties.partyByUsername(username, mode);
  }
}
