import { Injectable } from '@nestjs/common';
import type { Principal } from '@app/auth';
import { notFoundProblem, validationProblem } from '@app/common';
import { type AlbumResource, AlbumDirectory, type ListedAlbum } from '../albums/album-directory.ts';
import { GrantDirectory } from '../grants/grant-directory.ts';
import type { GrantEntry, Party } from '../grants/grant-entry.ts';
import { PartyDirectory } from '../grants/party-directory.ts';
import { parseRequestId } from '../permission-requests/permission-request-id.ts';
import { invalidTicket } from '../permission-requests/permission-ticket.ts';

/**
 * Everything a caller may ask of the permission service. Each permission has exactly one rule in
 * {@link AccessPolicy}, and every service method asks for one before it does anything else, with
 * one exception by design: a request by ticket asks once Keycloak has accepted the ticket, since
 * what a ticket names is not believed before (docs/architecture.md, "Owner approval, sharing and
 * revocation").
 */
export enum Permission {
  /** Who holds which scopes on an album: `GET /albums/:albumId/shares`. */
  AlbumSharesRead = 'album-shares.read',
  /** Share an album, or revoke a share: `PUT` and `DELETE /albums/:albumId/shares/:username`. */
  AlbumSharesWrite = 'album-shares.write',
  /** An album's invitation links: `GET /albums/:albumId/links`. */
  AlbumLinksRead = 'album-links.read',
  /** Create or delete an album's invitation link: `POST` and `DELETE /albums/:albumId/links...`. */
  AlbumLinksWrite = 'album-links.write',
  /** An album's access history: `GET /albums/:albumId/audit`. */
  AlbumAuditRead = 'album-audit.read',
  /** Ask an album's owner for access: `POST /permission-requests`. */
  PermissionRequestCreate = 'permission-request.create',
  /** Approve or deny a request: `POST /permission-requests/:id/approve` and `.../deny`. */
  PermissionRequestAnswer = 'permission-request.answer',
  /** Withdraw one's own pending request: `DELETE /permission-requests/:id`. */
  PermissionRequestWithdraw = 'permission-request.withdraw',
  /** Requests on the caller's albums: `GET /permission-requests/incoming`. */
  IncomingRequestsRead = 'incoming-requests.read',
  /** The caller's own requests: `GET /permission-requests/outgoing`. */
  OutgoingRequestsRead = 'outgoing-requests.read',
  /** Albums shared with the caller: `GET /shared-with-me`. */
  SharedWithMeRead = 'shared-with-me.read',
}

/** Nothing beyond the caller: the permission is about the caller's own lists. */
export type CallerOnly = Readonly<Record<string, never>>;

/** What each permission is asked about. */
export interface AccessTargets {
  [Permission.AlbumSharesRead]: { readonly albumId: string };
  [Permission.AlbumSharesWrite]: { readonly albumId: string };
  [Permission.AlbumLinksRead]: { readonly albumId: string };
  [Permission.AlbumLinksWrite]: { readonly albumId: string };
  [Permission.AlbumAuditRead]: { readonly albumId: string };
  /**
   * An album by id, or the resource a UMA challenge's ticket names; the latter only once Keycloak
   * has accepted the ticket (before that, what a ticket names is not believed).
   */
  [Permission.PermissionRequestCreate]:
    { readonly albumId: string } | { readonly acceptedTicketResourceId: string };
  [Permission.PermissionRequestAnswer]: { readonly requestId: string };
  [Permission.PermissionRequestWithdraw]: { readonly requestId: string };
  [Permission.IncomingRequestsRead]: CallerOnly;
  [Permission.OutgoingRequestsRead]: CallerOnly;
  [Permission.SharedWithMeRead]: CallerOnly;
}

/** What each permission resolves its target to, once the caller may act on it. */
export interface AccessResults {
  /** The album as the album service publishes it (no call to Keycloak). */
  [Permission.AlbumSharesRead]: ListedAlbum;
  [Permission.AlbumSharesWrite]: AlbumResource;
  /** The album as the album service publishes it (no call to Keycloak). */
  [Permission.AlbumLinksRead]: ListedAlbum;
  [Permission.AlbumLinksWrite]: AlbumResource;
  [Permission.AlbumAuditRead]: AlbumResource;
  [Permission.PermissionRequestCreate]: AlbumResource;
  [Permission.PermissionRequestAnswer]: {
    readonly entry: GrantEntry;
    readonly album: AlbumResource;
  };
  /** The pending request, and the requester as Keycloak's tickets know the caller. */
  [Permission.PermissionRequestWithdraw]: { readonly entry: GrantEntry; readonly requester: Party };
  /** The owner whose albums' requests the caller may see. */
  [Permission.IncomingRequestsRead]: { readonly owner: string };
  /** The caller as Keycloak's tickets know it: only its own requests are listed. */
  [Permission.OutgoingRequestsRead]: Party;
  /** The `sub` of the caller's tokens: only what its RPTs are honoured for is listed. */
  [Permission.SharedWithMeRead]: { readonly subject: string };
}

type Rules = {
  readonly [P in Permission]: (
    caller: Principal,
    target: AccessTargets[P],
  ) => Promise<AccessResults[P]>;
};

/**
 * Who may see or change what in the permission service: every access rule of the service, and
 * nowhere else. Each rule makes its cheapest check first (a malformed id costs no call to
 * Keycloak) and hands back what it resolved, so that the service acts on exactly what was checked.
 *
 * Anyone without access is told the target does not exist, in the same words as for one that
 * really does not exist: a `404` never tells a stranger that an album or a request is there.
 *
 * Not here: what the input may say once access is decided (which scopes, whom to share with, and
 * that an owner does not share with themselves), which the services check.
 */
@Injectable()
export class AccessPolicy {
  constructor(
    private readonly albums: AlbumDirectory,
    private readonly grants: GrantDirectory,
    private readonly parties: PartyDirectory,
  ) {}

  /**
   * The target of `permission`, resolved, when `caller` may act on it; otherwise throws the
   * problem the caller is answered with (a `404` as for a missing target, unless a rule says
   * otherwise).
   */
  requireAccess<P extends Permission>(
    caller: Principal,
    permission: P,
    target: AccessTargets[P],
  ): Promise<AccessResults[P]> {
    return this.rules[permission](caller, target);
  }

  private readonly rules: Rules = {
    // An album's shares, invitation links and audit trail: its owner only.
    [Permission.AlbumSharesRead]: (caller, { albumId }) => this.ownListedAlbum(caller, albumId),
    [Permission.AlbumSharesWrite]: (caller, { albumId }) => this.ownAlbum(caller, albumId),
    [Permission.AlbumLinksRead]: (caller, { albumId }) => this.ownListedAlbum(caller, albumId),
    [Permission.AlbumLinksWrite]: (caller, { albumId }) => this.ownAlbum(caller, albumId),
    [Permission.AlbumAuditRead]: (caller, { albumId }) => this.ownAlbum(caller, albumId),

    // Anyone may ask for access to an album Keycloak knows, except its owner.
    [Permission.PermissionRequestCreate]: (caller, target) =>
      'albumId' in target
        ? this.albumToAskFor(caller, target.albumId)
        : this.albumOfAcceptedTicket(caller, target.acceptedTicketResourceId),

    // A request is answered by the owner of its album only.
    [Permission.PermissionRequestAnswer]: (caller, { requestId }) =>
      this.requestOnOwnAlbum(caller, requestId),

    // A request is withdrawn by its requester only, while some of it is pending.
    [Permission.PermissionRequestWithdraw]: (caller, { requestId }) =>
      this.ownPendingRequest(caller, requestId),

    // The lists of one's own: requests on one's albums, one's requests, what one holds.
    [Permission.IncomingRequestsRead]: (caller) => Promise.resolve({ owner: caller.subject }),
    [Permission.OutgoingRequestsRead]: (caller) => this.parties.listingParty(caller),
    [Permission.SharedWithMeRead]: (caller) => Promise.resolve({ subject: caller.subject }),
  };

  /** The album, as the album service publishes it, when `caller` owns it (no call to Keycloak). */
  private async ownListedAlbum(caller: Principal, albumId: string): Promise<ListedAlbum> {
    const album = await this.albums.listed(albumId);
    if (album === undefined || album.ownerId !== caller.subject) {
      throw notFoundProblem(`No album ${albumId}`);
    }
    return album;
  }

  /** The album when `caller` owns it. */
  private async ownAlbum(caller: Principal, albumId: string): Promise<AlbumResource> {
    // A malformed id is a 400 before any call to Keycloak.
    const album = await this.albums.find(albumId);
    if (album === undefined || album.ownerId !== caller.subject) {
      throw notFoundProblem(`No album ${albumId}`);
    }
    return album;
  }

  /** The album `caller` asks for access to. */
  private async albumToAskFor(caller: Principal, albumId: string): Promise<AlbumResource> {
    const album = await this.albums.find(albumId);
    if (album === undefined) {
      throw notFoundProblem(`No album ${albumId}`);
    }
    if (album.ownerId === caller.subject) {
      throw validationProblem([{ field: 'albumId', message: 'you own this album already' }]);
    }
    return album;
  }

  /**
   * The album a challenge's ticket names, once Keycloak has accepted the ticket from the caller
   * (it is signed with a key only Keycloak holds, so what it names is believed only then). A
   * ticket naming no album is answered like a made-up one, saying nothing about any album; its
   * owner is refused as for a request by album id (Keycloak takes her ticket and records nothing).
   */
  private async albumOfAcceptedTicket(
    caller: Principal,
    resourceId: string,
  ): Promise<AlbumResource> {
    const album =
      (await this.albums.byResourceIds([resourceId])).get(resourceId) ?? invalidTicket();
    if (album.ownerId === caller.subject) {
      throw validationProblem([{ field: 'ticket', message: 'you own this album already' }]);
    }
    return album;
  }

  /** The request, with its album, when `caller` owns the album it asks for. */
  private async requestOnOwnAlbum(
    caller: Principal,
    requestId: string,
  ): Promise<{ entry: GrantEntry; album: AlbumResource }> {
    const parsed = parseRequestId(requestId);
    // Keycloak is asked only for the caller's own tickets; the album's owner is checked again,
    // from the album's resource.
    const [entry] =
      parsed === undefined
        ? []
        : await this.grants.entries({
            resourceId: parsed.resourceId,
            owner: caller.subject,
            requester: parsed.requesterId,
          });
    const album =
      entry === undefined
        ? undefined
        : (await this.albums.byResourceIds([entry.resourceId])).get(entry.resourceId);
    if (entry === undefined || album === undefined || album.ownerId !== caller.subject) {
      throw notFoundProblem(`No permission request ${requestId}`);
    }
    return { entry, album };
  }

  /** The pending part of the request when `caller` made it. */
  private async ownPendingRequest(
    caller: Principal,
    requestId: string,
  ): Promise<{ entry: GrantEntry; requester: Party }> {
    const parsed = parseRequestId(requestId);
    if (parsed === undefined) {
      throw notFoundProblem(`No permission request ${requestId}`);
    }
    const requester = await this.parties.partyOf(caller);
    if (parsed.requesterId !== requester.id) {
      throw notFoundProblem(`No permission request ${requestId}`);
    }
    const [entry] = await this.grants.entries({
      resourceId: parsed.resourceId,
      requester: requester.id,
      granted: false,
    });
    if (entry === undefined || entry.pending.length === 0) {
      throw notFoundProblem(`No pending permission request ${requestId}`);
    }
    return { entry, requester };
  }
}
