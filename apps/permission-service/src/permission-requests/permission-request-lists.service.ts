import { Injectable } from '@nestjs/common';
import type { Principal } from '@app/auth';
import { pageOf } from '@app/common';
import { AccessPolicy, Permission } from '../access-policy/access-policy.ts';
import { AlbumDirectory } from '../albums/album-directory.ts';
import { GrantDirectory } from '../grants/grant-directory.ts';
import type { GrantEntry } from '../grants/grant-entry.ts';
import { PartyDirectory } from '../grants/party-directory.ts';
import type { PermissionRequestPageDto } from './permission-request.dto.ts';
import { permissionRequestDto } from './permission-request.mapper.ts';

/** The lists of requests: on the caller's albums, and the caller's own. */
@Injectable()
export class PermissionRequestLists {
  constructor(
    private readonly access: AccessPolicy,
    private readonly albums: AlbumDirectory,
    private readonly directory: GrantDirectory,
    private readonly parties: PartyDirectory,
  ) {}

  /** Requests on the caller's albums, one entry per (album, requester). */
  async incoming(
    owner: Principal,
    status: 'pending' | 'granted',
    limit: number,
    cursor: string | undefined,
  ): Promise<PermissionRequestPageDto> {
    const mine = await this.access.requireAccess(owner, Permission.IncomingRequestsRead, {});
    const entries = (await this.directory.entries(mine)).filter((entry) =>
      status === 'pending' ? entry.pending.length > 0 : entry.granted.length > 0,
    );
    return this.page(entries, limit, cursor);
  }

  /** The caller's own requests and their state. */
  async outgoing(
    requester: Principal,
    limit: number,
    cursor: string | undefined,
  ): Promise<PermissionRequestPageDto> {
    const mine = await this.access.requireAccess(requester, Permission.OutgoingRequestsRead, {});
    return this.page(await this.directory.entries(mine), limit, cursor);
  }

  /** One page of entries whose albums still exist, in the directory's stable order. */
  private async page(
    entries: GrantEntry[],
    limit: number,
    cursor: string | undefined,
  ): Promise<PermissionRequestPageDto> {
    const albums = await this.albums.byResourceIds(entries.map((entry) => entry.resourceId));
    const page = pageOf(
      entries.flatMap((entry) => {
        const album = albums.get(entry.resourceId);
        return album === undefined ? [] : [{ entry, album }];
      }),
      limit,
      cursor,
    );
    return {
      items: await Promise.all(
        page.items.map(({ entry, album }) => permissionRequestDto(this.parties, entry, album)),
      ),
      nextCursor: page.nextCursor,
    };
  }
}
