import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/auth';
import {
  cursorDate,
  isUuid,
  notFoundProblem,
  type Page,
  readPage,
  validationProblem,
} from '@app/common';
import { AccessPolicy, Permission } from '../access-policy/access-policy.ts';
import { ShareService } from '../shares/share.service.ts';
import type {
  CreatedInvitationLinkDto,
  CreateInvitationLinkDto,
  InvitationLinkDto,
} from './invitation-link.dto.ts';
import { INVITATION_LINK_OPTIONS, type InvitationLinkOptions } from './invitation-link.options.ts';
import {
  type InvitationLink,
  InvitationLinkRepository,
  type LinkPosition,
} from './invitation-link.repository.ts';
import { invitationSecretHash, newInvitationSecret } from './invitation-secret.ts';

const DAY_MS = 86_400_000;

/** A cursor's position: the last link's creation time and id (the date as JSON writes it). */
function linkPosition(value: unknown): LinkPosition | undefined {
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const { createdAt: at, id } = value as Record<string, unknown>;
  const createdAt = cursorDate(at);
  return createdAt !== undefined && typeof id === 'string' && isUuid(id)
    ? { createdAt, id }
    : undefined;
}

export function toInvitationLinkDto(link: InvitationLink): InvitationLinkDto {
  return {
    id: link.id,
    albumId: link.albumId,
    scopes: [...link.scopes],
    expiresAt: link.expiresAt?.toISOString() ?? null,
    maxUses: link.maxUses,
    uses: link.uses,
    createdAt: link.createdAt.toISOString(),
    state: link.state,
  };
}

const noSuchLink = (linkId: string) => notFoundProblem(`No invitation link ${linkId}`);

/**
 * An owner's invitation links: made, listed and deleted by the album's owner only (the access
 * policy decides), the secret handed out once and kept only as its hash. Redeeming is
 * `InvitationRedemptionService`'s.
 */
@Injectable()
export class InvitationLinkService {
  constructor(
    private readonly access: AccessPolicy,
    private readonly links: InvitationLinkRepository,
    private readonly shares: ShareService,
    @Inject(INVITATION_LINK_OPTIONS) private readonly options: InvitationLinkOptions,
  ) {}

  async create(
    owner: Principal,
    albumId: string,
    input: CreateInvitationLinkDto,
  ): Promise<CreatedInvitationLinkDto> {
    const album = await this.access.requireAccess(owner, Permission.AlbumLinksWrite, { albumId });
    const unknown = input.scopes.filter((scope) => !album.scopes.includes(scope));
    if (unknown.length > 0) {
      throw validationProblem([
        { field: 'scopes', message: `the album has no scope ${unknown.join(', ')}` },
      ]);
    }
    const expiresAt = this.expiry(input.expiresAt);
    const token = newInvitationSecret();
    const link = await this.links.create({
      id: randomUUID(),
      albumId: album.albumId,
      ownerId: album.ownerId,
      tokenHash: invitationSecretHash(token),
      scopes: input.scopes,
      expiresAt,
      maxUses: input.maxUses ?? null,
    });
    return Object.assign(toInvitationLinkDto(link), {
      token,
      // In the fragment: a browser sends it to no server, and no `Referer` carries it.
      url: `${this.options.webAppUrl}/invite#${token}`,
    });
  }

  async list(
    owner: Principal,
    albumId: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<InvitationLinkDto>> {
    const album = await this.access.requireAccess(owner, Permission.AlbumLinksRead, { albumId });
    const page = await readPage({
      limit,
      cursor,
      parse: linkPosition,
      read: (after, count) => this.links.forAlbum(album.albumId, count, after),
      positionOf: (link): LinkPosition => ({ createdAt: link.createdAt, id: link.id }),
    });
    return { items: page.items.map(toInvitationLinkDto), nextCursor: page.nextCursor };
  }

  /**
   * Deletes the link: it stops opening at once. With `revokeShares`, everyone who redeemed it
   * then loses everything they hold on the album, as `DELETE .../shares/{username}` takes it.
   * The link is deleted first, so a redemption still under way either sees it gone or is among
   * the redeemers revoked (it records itself before it grants, and checks again under the
   * party's lock, which the revocation waits for).
   */
  async delete(
    owner: Principal,
    albumId: string,
    linkId: string,
    revokeShares: boolean,
  ): Promise<void> {
    const album = await this.access.requireAccess(owner, Permission.AlbumLinksWrite, { albumId });
    if (!isUuid(linkId) || !(await this.links.delete(album.albumId, linkId))) {
      throw noSuchLink(linkId);
    }
    if (!revokeShares) {
      return;
    }
    for (const party of await this.links.redeemers(linkId)) {
      await this.shares.revokeAll(owner, album, party);
    }
  }

  /** `expiresAt` as a date in the future, at most the configured number of days ahead. */
  private expiry(expiresAt: string | undefined): Date | null {
    if (expiresAt === undefined) {
      return null;
    }
    const at = new Date(expiresAt);
    const now = Date.now();
    const maxDays = this.options.maxDurationDays;
    if (Number.isNaN(at.getTime()) || at.getTime() <= now) {
      throw validationProblem([{ field: 'expiresAt', message: 'expiresAt must be in the future' }]);
    }
    if (at.getTime() > now + maxDays * DAY_MS) {
      throw validationProblem([
        { field: 'expiresAt', message: `expiresAt must be at most ${maxDays} days ahead` },
      ]);
    }
    return at;
  }
}
