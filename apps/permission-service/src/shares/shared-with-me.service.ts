import { Injectable } from '@nestjs/common';
import type { Principal } from '@app/auth';
import { type Page, readPage } from '@app/common';
import { AccessPolicy, Permission } from '../access-policy/access-policy.ts';
import type { SharedAlbumDto } from './share.dto.ts';
import { ShareListRepository } from './share-list.repository.ts';

/** A cursor's position: the last album's resource id. */
function resourcePosition(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= 64 ? value : undefined;
}

/**
 * The albums shared with the caller: what its RPTs are honoured for, by the grant record, with
 * the album's name and owner as the album service publishes them. Keycloak is not asked: a grant
 * taken away in Keycloak directly leaves the list (as it stops opening the album) once the watch
 * of Keycloak narrows the record (`KeycloakWatch`, within its interval); a grant whose expiry has
 * come leaves it at that instant.
 */
@Injectable()
export class SharedWithMeService {
  constructor(
    private readonly access: AccessPolicy,
    private readonly lists: ShareListRepository,
  ) {}

  /** Albums shared with the caller, with the scopes held, a page at a time. */
  async sharedWith(
    caller: Principal,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<SharedAlbumDto>> {
    const { subject } = await this.access.requireAccess(caller, Permission.SharedWithMeRead, {});
    const page = await readPage({
      limit,
      cursor,
      parse: resourcePosition,
      read: (after, count) => this.lists.sharedWith(subject, after ?? '', count),
      positionOf: (row) => row.resourceId,
    });
    return {
      items: page.items.flatMap((row) =>
        row.albumId === null
          ? []
          : [
              {
                albumId: row.albumId,
                albumName: row.albumName ?? '',
                ownerUsername: row.ownerUsername ?? '',
                scopes: [...new Set(row.scopes)].sort(),
                expiresAt: row.expiresAt?.toISOString() ?? null,
              },
            ],
      ),
      nextCursor: page.nextCursor,
    };
  }
}
