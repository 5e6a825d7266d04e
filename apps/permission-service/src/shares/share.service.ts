import { Injectable } from '@nestjs/common';
import { type Principal, SERVICE_ACCOUNT_PREFIX } from '@app/auth';
import { notFoundProblem, ProblemException, validationProblem } from '@app/common';
import { GrantRecordRepository, type GrantWriter } from '@app/grant-record';
import { KeycloakError, KeycloakUnavailableError, ProtectionApiClient } from '@app/keycloak';
import { log, metrics } from '@app/observability';
import { AccessPolicy, Permission } from '../access-policy/access-policy.ts';
import { AlbumDirectory, type AlbumResource } from '../albums/album-directory.ts';
import { GrantDirectory, type LookupMode } from '../grants/grant-directory.ts';
import { GrantReconciler } from '../grants/grant-reconciler.ts';
import {
  effectiveScopes,
  emptyEntry,
  type GrantEntry,
  grantedScopes,
  type NamedTicket,
  type Party,
  scopeNames,
} from '../grants/grant-entry.ts';
import { AuditRepository } from '../audit/audit.repository.ts';
import type { ShareDto, SharedAlbumDto } from './share.dto.ts';
import { RecentRequestRepository } from '../permission-requests/recent-request.repository.ts';

const USERNAME = /^[\p{L}\p{N}._@+-]{1,255}$/u;

const flowLog = log.child({ component: 'permission-flows' });

/**
 * A revocation that took effect, counted in `photoz_permission_flows_total{action="revoke"}` and
 * logged once: the album, who lost access (a person's subject, a partner's client id) and the
 * scopes, never a token.
 */
function recordRevocation(
  owner: Principal,
  albumId: string,
  party: Party,
  scopes: readonly string[],
  kind: 'removed' | 'narrowed',
): void {
  metrics.permissionFlows.inc({ action: 'revoke' });
  flowLog.info(
    {
      event: 'permission.revoke',
      kind,
      albumId,
      ownerSubject: owner.subject,
      subject: party.subject,
      partnerClientId:
        party.partner && party.username.startsWith(SERVICE_ACCOUNT_PREFIX)
          ? party.username.slice(SERVICE_ACCOUNT_PREFIX.length)
          : undefined,
      scopes,
    },
    'access revoked',
  );
}

function toShare(entry: GrantEntry): ShareDto {
  return {
    userId: entry.requester.subject,
    username: entry.requester.username,
    kind: entry.requester.partner ? 'partner' : 'person',
    scopes: effectiveScopes(entry),
  };
}

/**
 * The answers that must not tell an owner whether a name exists in the realm: an unknown user, a
 * made-up name and a user without a share get the same words.
 */
const noSuchUser = () => notFoundProblem('There is no such user to share this album with.');
const holdsNothing = () => notFoundProblem('This user holds nothing on this album.');

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

/**
 * Direct sharing and revocation by an album's owner, with a person or a partner's service account.
 * A person's grants are Keycloak permission tickets; a partner's direct share is a scope permission
 * (see AuthorizationAdminClient). Every revocation is also recorded where the album service checks
 * RPTs, so RPTs issued before it stop opening the album at once.
 */
@Injectable()
export class ShareService {
  constructor(
    private readonly access: AccessPolicy,
    private readonly protection: ProtectionApiClient,
    private readonly albums: AlbumDirectory,
    private readonly grantDirectory: GrantDirectory,
    private readonly grants: GrantRecordRepository,
    private readonly audit: AuditRepository,
    private readonly reconciler: GrantReconciler,
    private readonly recentRequests: RecentRequestRepository,
  ) {}

  /**
   * Who holds what on the album. The record is narrowed to Keycloak's grants first, so that the
   * parties listed are exactly those whose RPTs the album service honours.
   */
  async list(owner: Principal, albumId: string): Promise<ShareDto[]> {
    const album = await this.access.requireAccess(owner, Permission.AlbumSharesRead, { albumId });
    return (await this.reconciler.reconcileResource(album.resourceId))
      .filter((entry) => effectiveScopes(entry).length > 0)
      .map(toShare)
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
    const { held, dropped, changed } = await this.recentRequests.forgetAfter(
      { albumId: album.albumId, requesterId: party.subject },
      () =>
        this.grants.exclusive(album.resourceId, party.subject, async (current) => {
          const before = await this.grantDirectory.entry(album.resourceId, party);
          const keycloakHeld = before === undefined ? [] : grantedScopes(before);
          const effectiveBefore = before === undefined ? [] : effectiveScopes(before);
          const droppedScopes = [
            ...new Set([...keycloakHeld, ...effectiveBefore, ...(before?.current ?? [])]),
          ].filter((scope) => !scopes.includes(scope));
          const added = scopes.filter((scope) => !keycloakHeld.includes(scope));
          // Narrowing a disabled user's share is a revocation, and always allowed.
          if (scopes.some((scope) => !effectiveBefore.includes(scope))) {
            await this.grantDirectory.requireEnabled(party);
          }
          if (droppedScopes.length > 0) {
            await this.revoke(current, scopes, () =>
              this.withdrawGrants(
                album,
                party,
                before,
                (scope) => droppedScopes.includes(scope),
                scopes,
              ),
            );
          }
          if (added.length > 0) {
            await this.grant(album, party, before, scopes);
          }
          // Keycloak holds every scope of the set now; the record follows (this also confirms a
          // grant made in Keycloak directly, which the record did not have).
          await current.widen(scopes);
          return {
            held: effectiveBefore,
            dropped: droppedScopes,
            changed:
              droppedScopes.length > 0 || scopes.some((scope) => !effectiveBefore.includes(scope)),
          };
        }),
    );
    if (changed) {
      await this.audit.record({
        albumId: album.albumId,
        action: 'shared',
        actor: owner,
        subject: party,
        scopes,
      });
    }
    const revoked = dropped.filter((scope) => held.includes(scope));
    if (revoked.length > 0) {
      await this.audit.record({
        albumId: album.albumId,
        action: 'revoked',
        actor: owner,
        subject: party,
        scopes: revoked,
      });
    }
    metrics.permissionFlows.inc({ action: 'share' });
    if (revoked.length > 0) {
      recordRevocation(owner, album.albumId, party, revoked, 'narrowed');
    }
    const after = await this.grantDirectory.entry(album.resourceId, party);
    return toShare(after ?? emptyEntry(album, party));
  }

  /** Takes away everything `username` holds or asked for on the album. */
  async remove(owner: Principal, albumId: string, username: string): Promise<void> {
    const album = await this.access.requireAccess(owner, Permission.AlbumSharesWrite, { albumId });
    const party = await this.party(owner, username, 'read');
    if (party === undefined) {
      throw holdsNothing();
    }
    const scopes = await this.recentRequests.forgetAfter(
      { albumId: album.albumId, requesterId: party.subject },
      () =>
        this.grants.exclusive(album.resourceId, party.subject, async (current) => {
          const entry = await this.grantDirectory.entry(album.resourceId, party);
          if (
            entry === undefined &&
            (await this.grants.held(album.resourceId, party.subject)).length === 0
          ) {
            // Refused inside the change: nothing changed, so nothing is forgotten either.
            throw holdsNothing();
          }
          await this.revoke(current, [], () =>
            this.withdrawGrants(album, party, entry, () => true, []),
          );
          return [
            ...new Set([
              ...(entry === undefined ? [] : grantedScopes(entry)),
              ...scopeNames(entry?.pending ?? []),
              ...(entry?.current ?? []),
            ]),
          ].sort();
        }),
    );
    await this.audit.record({
      albumId: album.albumId,
      action: 'revoked',
      actor: owner,
      subject: party,
      scopes,
    });
    recordRevocation(owner, album.albumId, party, scopes, 'removed');
  }

  /** Albums shared with the caller, with the scopes held. */
  async sharedWith(caller: Principal): Promise<SharedAlbumDto[]> {
    const party = await this.access.requireAccess(caller, Permission.SharedWithMeRead, {});
    const held = new Map<string, Set<string>>();
    const hold = (resourceId: string, scopes: readonly string[]) => {
      const set = held.get(resourceId) ?? new Set<string>();
      scopes.forEach((scope) => set.add(scope));
      held.set(resourceId, set);
    };
    for (const entry of await this.grantDirectory.entries({ requester: party.id, granted: true })) {
      hold(entry.resourceId, scopeNames(entry.granted));
    }
    for (const share of await this.grantDirectory.partnerShares(party)) {
      hold(share.resourceId, share.scopes);
    }
    // Only what the party can use: granted in Keycloak and in the record RPTs are held to.
    const current = await this.grants.ofSubject(party.subject);
    for (const [resourceId, scopes] of held) {
      const usable = current.get(resourceId) ?? [];
      for (const scope of scopes) {
        if (!usable.includes(scope)) {
          scopes.delete(scope);
        }
      }
      if (scopes.size === 0) {
        held.delete(resourceId);
      }
    }
    const albums = await this.albums.byResourceIds(held.keys());
    const shared: SharedAlbumDto[] = [];
    for (const [resourceId, scopes] of held) {
      const album = albums.get(resourceId);
      if (album !== undefined) {
        shared.push({
          albumId: album.albumId,
          albumName: album.name,
          ownerUsername: (await this.grantDirectory.username(album.ownerId)) ?? '',
          scopes: [...scopes].sort(),
        });
      }
    }
    return shared;
  }

  /**
   * Narrows the record to `keep` before taking the grants away in Keycloak, and again after: a
   * failure in between leaves the party with less access, never more, and is reported as such.
   */
  private async revoke(
    current: GrantWriter,
    keep: readonly string[],
    takeAway: () => Promise<void>,
  ): Promise<void> {
    await current.narrow(keep);
    try {
      await takeAway();
    } catch (error) {
      if (error instanceof KeycloakError || error instanceof KeycloakUnavailableError) {
        throw revocationIncomplete(error);
      }
      throw error;
    }
    await current.narrow(keep);
  }

  /** Deletes the tickets whose scope matches and, for a partner, narrows its share to `keep`. */
  private async withdrawGrants(
    album: AlbumResource,
    party: Party,
    entry: GrantEntry | undefined,
    matches: (scope: string) => boolean,
    keep: readonly string[],
  ): Promise<void> {
    const tickets: NamedTicket[] = [...(entry?.granted ?? []), ...(entry?.pending ?? [])];
    for (const ticket of tickets.filter((candidate) => matches(candidate.scopeName))) {
      await this.protection.deleteTicket(ticket.id);
    }
    if (party.partner && (entry?.sharedScopes.length ?? 0) > 0) {
      await this.grantDirectory.setPartnerShare(album.resourceId, party, keep);
    }
  }

  private async grant(
    album: AlbumResource,
    party: Party,
    before: GrantEntry | undefined,
    scopes: readonly string[],
  ): Promise<void> {
    const answered = (before?.pending ?? []).filter((ticket) => scopes.includes(ticket.scopeName));
    if (party.partner) {
      // A partner's share is one permission with the full set; its requests are answered by it.
      await this.grantDirectory.setPartnerShare(album.resourceId, party, scopes);
      for (const ticket of answered) {
        await this.protection.deleteTicket(ticket.id);
      }
      return;
    }
    // Pending requests for the scopes are approved, so that they do not linger as requests.
    for (const ticket of answered) {
      await this.protection.approveTicket(ticket.id);
    }
    const granted = new Set([...scopeNames(before?.granted ?? []), ...scopeNames(answered)]);
    for (const scope of scopes.filter((candidate) => !granted.has(candidate))) {
      try {
        await this.protection.grant(album.resourceId, party.username, scope);
      } catch (error) {
        // A concurrent share of the same scope got there first (Keycloak answers 400 "already
        // exists", or 409 when both inserts race): the grant is what was asked for.
        const duplicate =
          error instanceof KeycloakError &&
          (error.status === 409 || /already exists/i.test(error.description ?? ''));
        if (!duplicate) {
          throw error;
        }
      }
    }
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
    return this.grantDirectory.partyByUsername(username, mode);
  }
}
