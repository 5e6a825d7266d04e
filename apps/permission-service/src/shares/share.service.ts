import { Injectable } from '@nestjs/common';
import type { Principal } from '@app/auth';
import { notFoundProblem, validationProblem } from '@app/common';
import { KeycloakError, KeycloakUnavailableError } from '@app/keycloak';
import { AccessPolicy, Permission } from '../access-policy/access-policy.ts';
import { PermissionFlows } from '../audit/permission-flows.ts';
import { EVERY_REQUEST } from '../grants/grant-cleanup.repository.ts';
import { GrantDirectory } from '../grants/grant-directory.ts';
import { effectiveScopes, grantedScopes, type Party, scopeNames } from '../grants/grant-entry.ts';
import { GrantReconciler } from '../grants/grant-reconciler.ts';
import { GrantService } from '../grants/grant.service.ts';
import { KeycloakGrants } from '../grants/keycloak-grants.ts';
import { type LookupMode, PartyDirectory } from '../grants/party-directory.ts';
import type { ShareDto } from './share.dto.ts';

const USERNAME = /^[\p{L}\p{N}._@+-]{1,255}$/u;

function toShare(party: Party, scopes: readonly string[]): ShareDto {
  return {
    userId: party.subject,
    username: party.username,
    kind: party.partner ? 'partner' : 'person',
    scopes: [...scopes],
  };
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
    private readonly reconciler: GrantReconciler,
    private readonly flows: PermissionFlows,
  ) {}

  /**
   * Who holds what on the album. The record is narrowed to Keycloak's grants first, so that the
   * parties listed are exactly those whose RPTs the album service honours.
   */
  async list(owner: Principal, albumId: string): Promise<ShareDto[]> {
    const album = await this.access.requireAccess(owner, Permission.AlbumSharesRead, { albumId });
    return (await this.reconciler.reconcileResource(album.resourceId))
      .map((entry) => toShare(entry.requester, effectiveScopes(entry)))
      .filter((share) => share.scopes.length > 0)
      .sort((a, b) => a.username.localeCompare(b.username));
  }

  /** Makes `username` hold exactly `scopes` on the album. */
  async put(
    owner: Principal,
    albumId: string,
    username: string,
    scopes: readonly string[],
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
    const { held, dropped, changed } = await this.grants.change(album, party, async (access) => {
      const before = await this.directory.entry(album.resourceId, party);
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
      }
      if (widens) {
        // Also confirms a grant made in Keycloak directly, which the record did not have.
        const added = scopes.filter((scope) => !keycloakHeld.includes(scope));
        await access.grant(scopes, async () => {
          if (added.length > 0) {
            await this.keycloak.grant(album.resourceId, party, before, scopes);
          }
        });
      }
      return {
        held: effectiveBefore,
        dropped: droppedScopes,
        changed: widens || droppedScopes.length > 0,
      };
    });
    const step = { albumId: album.albumId, actor: owner, subject: party };
    if (changed) {
      await this.flows.record('shared', { ...step, scopes });
    }
    this.flows.succeeded('share');
    const revoked = dropped.filter((scope) => held.includes(scope));
    if (revoked.length > 0) {
      await this.flows.revoked({ ...step, scopes: revoked }, 'narrowed');
    }
    // Keycloak grants every scope of the set now, and the record holds exactly them.
    return toShare(party, [...new Set(scopes)].sort());
  }

  /** Takes away everything `username` holds or asked for on the album. */
  async remove(owner: Principal, albumId: string, username: string): Promise<void> {
    const album = await this.access.requireAccess(owner, Permission.AlbumSharesWrite, { albumId });
    const party = await this.party(owner, username, 'read');
    if (party === undefined) {
      throw holdsNothing();
    }
    const scopes = await this.grants.change(album, party, async (access) => {
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
        throw holdsNothing();
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
    await this.flows.revoked(
      { albumId: album.albumId, actor: owner, subject: party, scopes },
      'removed',
    );
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
