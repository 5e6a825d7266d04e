import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/auth';
import { notFoundProblem, ProblemException } from '@app/common';
import { AlbumDirectory, type AlbumResource } from '../albums/album-directory.ts';
import { PermissionFlows } from '../audit/permission-flows.ts';
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
import { PartyDirectory } from '../grants/party-directory.ts';
import { PendingRequestRepository } from '../permission-requests/pending-request.repository.ts';
import type { RedeemedInvitationDto } from './invitation-link.dto.ts';
import { INVITATION_LINK_OPTIONS, type InvitationLinkOptions } from './invitation-link.options.ts';
import { InvitationLinkRepository } from './invitation-link.repository.ts';
import { invitationSecretHash, isInvitationSecret } from './invitation-secret.ts';
import { RedeemFailureRepository } from './redeem-failure.repository.ts';

/** The policy a refusal names in `violated-policies`. */
export const REDEEM_FAILURE_POLICY = 'invitation-redeem-failures';

/**
 * The one answer to every token that opens nothing: unknown, malformed, used up, expired, deleted,
 * or of an album that is gone. The same words each time, so an answer tells a guesser nothing.
 */
const opensNothing = () =>
  notFoundProblem('This invitation link does not exist, or no longer works.');

/** Who redeems, as the rate limit counts them: the caller's subject and the client's address. */
export interface Redeemer {
  readonly principal: Principal;
  readonly address: string;
}

/**
 * Redeeming an invitation link: a share the owner approved in advance, made through
 * `GrantService` as a direct share is (Keycloak first, then the grant record), which only widens
 * what the caller holds. The use is taken before the grant, atomically across instances, and
 * given back should the grant fail. Failed redemptions are counted per caller and per address, in
 * PostgreSQL, and past the limit refused with `429`. The token is never logged, traced or put in
 * an answer: it is read, hashed and dropped here.
 */
@Injectable()
export class InvitationRedemptionService {
  constructor(
    private readonly albums: AlbumDirectory,
    private readonly links: InvitationLinkRepository,
    private readonly failures: RedeemFailureRepository,
    private readonly parties: PartyDirectory,
    private readonly directory: GrantDirectory,
    private readonly grants: GrantService,
    private readonly keycloak: KeycloakGrants,
    private readonly pending: PendingRequestRepository,
    private readonly flows: PermissionFlows,
    @Inject(INVITATION_LINK_OPTIONS) private readonly options: InvitationLinkOptions,
  ) {}

  async redeem(redeemer: Redeemer, token: unknown): Promise<RedeemedInvitationDto> {
    const { principal: caller } = redeemer;
    const keys = [`subject:${caller.subject}`, `address:${redeemer.address}`].map((key) =>
      key.slice(0, 128),
    );
    await this.refuseWhenLimited(keys);
    const refuse = async (): Promise<never> => {
      await this.failures.record(keys, this.options.failureWindowSeconds);
      throw opensNothing();
    };
    const link = isInvitationSecret(token)
      ? await this.links.usable(invitationSecretHash(token))
      : undefined;
    if (link === undefined) {
      return refuse();
    }
    const album = await this.albums.find(link.albumId);
    if (album === undefined || album.ownerId !== link.ownerId) {
      return refuse();
    }
    if (album.ownerId === caller.subject) {
      throw new ProblemException({
        status: 409,
        code: 'own-album',
        detail: 'This invitation is to your own album: share the link with someone else.',
      });
    }
    const party = await this.parties.partyOf(caller, 'write');
    const claim = await this.links.claim(link.id, party);
    if (claim === undefined) {
      return refuse();
    }
    const offered = link.scopes.filter((scope) => album.scopes.includes(scope));
    // Thrown inside the change as a refusal (a `4xx`), so that the change forgets nothing.
    const gone = opensNothing();
    let outcome: Grant;
    try {
      outcome = await this.grant(album, party, link.id, offered, gone);
    } catch (error) {
      await this.links.release(claim);
      if (error === gone) {
        return refuse();
      }
      throw error;
    }
    if (!outcome.widened) {
      // Nothing changed: the use is given back, and the link made no share to revoke.
      await this.links.release(claim);
    } else {
      await this.pending.set(album, party, outcome.pending);
      await this.flows.record(
        'redeemed',
        {
          albumId: album.albumId,
          actor: { subject: party.subject, username: party.username },
          subject: party,
          scopes: offered,
          linkId: link.id,
        },
        { kind: 'link-redeemed', recipient: album.ownerId, albumName: album.name },
      );
      this.flows.succeeded('redeem');
    }
    return {
      albumId: album.albumId,
      albumName: album.name,
      ownerUsername: (await this.links.ownerUsername(album.albumId)) ?? '',
      scopes: outcome.holds,
    };
  }

  private async refuseWhenLimited(keys: readonly string[]): Promise<void> {
    const { failureLimit, failureWindowSeconds } = this.options;
    const wait = await this.failures.retryAfter(keys, failureLimit, failureWindowSeconds);
    if (wait !== undefined) {
      throw new ProblemException({
        status: 429,
        code: 'rate-limited',
        detail: `Too many invitation links that opened nothing: at most ${failureLimit} per ${failureWindowSeconds} s; retry in ${wait} s.`,
        extensions: { 'violated-policies': [REDEEM_FAILURE_POLICY] },
        headers: { 'retry-after': String(wait) },
      });
    }
  }

  /**
   * Grants the `offered` scopes on top of what the party holds, as the party's only change of
   * access to the album. A party that holds them all already changes nothing. `gone`: thrown
   * when the link was deleted since the claim (the deletion may have revoked its redeemers).
   */
  private grant(
    album: AlbumResource,
    party: Party,
    linkId: string,
    offered: readonly string[],
    gone: Error,
  ): Promise<Grant> {
    return this.grants.change(album, party, async (access) => {
      if (!(await this.links.exists(linkId))) {
        throw gone;
      }
      const before = await this.directory.entry(album.resourceId, party);
      const effectiveBefore = before === undefined ? [] : effectiveScopes(before);
      const holds = [...new Set([...effectiveBefore, ...offered])].sort();
      if (offered.every((scope) => effectiveBefore.includes(scope))) {
        return { holds, widened: false, pending: [] };
      }
      // Keycloak keeps what it grants already (a partner's share is set whole: it keeps it too).
      const keycloakHeld = before === undefined ? [] : grantedScopes(before);
      const inKeycloak = [...new Set([...keycloakHeld, ...offered])].sort();
      let stillPending: readonly NamedTicket[] = before?.pending ?? [];
      await access.grant(offered, async () => {
        if (offered.some((scope) => !keycloakHeld.includes(scope))) {
          const answered = await this.keycloak.grant(album.resourceId, party, before, inKeycloak);
          stillPending = stillPending.filter((ticket) => !answered.includes(ticket.id));
        }
      });
      return { holds, widened: true, pending: scopeNames(stillPending) };
    });
  }
}

/** What a redemption's grant did. */
interface Grant {
  /** What the party holds on the album afterwards. */
  readonly holds: string[];
  readonly widened: boolean;
  /** The scopes still pending in the party's requests. */
  readonly pending: string[];
}
