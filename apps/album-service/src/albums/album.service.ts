import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Principal } from '@app/auth';
import { cursorDate, isUuid, notFoundProblem, readPage } from '@app/common';
import { UmaOutboxWriter } from '@app/uma-resources';
import type { DataSource, EntityManager } from 'typeorm';
import {
  type AlbumPageDto,
  type AlbumResponseDto,
  type CreateAlbumDto,
  toAlbumResponse,
  type UpdateAlbumDto,
} from './album.dto.ts';
import { ALBUM, type Album } from './album.ts';
import { type AlbumPosition, AlbumRepository } from './album.repository.ts';
import {
  albumQuotaBreach,
  OWNER_QUOTAS,
  type OwnerQuotas,
  quotaExceeded,
} from '../quotas/owner-quotas.ts';

/**
 * The position a page cursor's JSON stands for, or `undefined` for anything else. JSON writes the
 * position's date as ISO 8601 text (`Date#toJSON`), which is read back here.
 */
function albumPositionIn(value: unknown): AlbumPosition | undefined {
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const { createdAt, id } = value as Record<string, unknown>;
  const date = cursorDate(createdAt);
  return date === undefined || typeof id !== 'string' || !isUuid(id)
    ? undefined
    : { createdAt: date, id };
}

/**
 * Albums and their registration as Keycloak resources: every change runs in one transaction that
 * writes the album together with its outbox event, so no album is left unregistered or orphaned
 * when Keycloak is down, and the relay is woken once it has committed. Access decisions are made
 * before these methods run (`@Scopes` on the routes).
 */
@Injectable()
export class AlbumService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly albums: AlbumRepository,
    private readonly outbox: UmaOutboxWriter,
    @Inject(OWNER_QUOTAS) private readonly quotas: OwnerQuotas,
  ) {}

  /**
   * Creates an album owned by `owner`, within the owner's album quota (counted under the owner's
   * lock, so concurrent creates cannot both take the last place); its Keycloak resource follows
   * through the outbox.
   */
  async create(owner: Principal, input: CreateAlbumDto): Promise<AlbumResponseDto> {
    const now = new Date();
    const album: Album = {
      id: randomUUID(),
      name: input.name,
      description: input.description ?? null,
      ownerId: owner.subject,
      ownerUsername: owner.username,
      createdAt: now,
      updatedAt: now,
    };
    await this.dataSource.transaction(async (manager: EntityManager) => {
      await this.albums.lockOwner(manager, owner.subject);
      const breach = albumQuotaBreach(
        await this.albums.countOwnedBy(manager, owner.subject),
        this.quotas,
      );
      if (breach !== undefined) {
        throw quotaExceeded(breach);
      }
      await this.albums.insert(manager, album);
      await this.outbox.upsert(manager, ALBUM, album);
    });
    return toAlbumResponse({ album, resourceId: undefined });
  }

  async get(id: string): Promise<AlbumResponseDto> {
    const record = await this.albums.find(id);
    if (record === undefined) {
      throw notFoundProblem(`No album ${id}`);
    }
    return toAlbumResponse(record);
  }

  /** Renames the album or changes its description; only a rename concerns Keycloak. */
  async update(id: string, input: UpdateAlbumDto): Promise<AlbumResponseDto> {
    await this.dataSource.transaction(async (manager: EntityManager) => {
      const album = await this.albums.lock(manager, id);
      if (album === undefined) {
        throw notFoundProblem(`No album ${id}`);
      }
      const rename = input.name !== undefined && input.name !== album.name;
      album.name = input.name ?? album.name;
      album.description = input.description === undefined ? album.description : input.description;
      album.updatedAt = new Date();
      await this.albums.update(manager, album);
      if (rename) {
        await this.outbox.upsert(manager, ALBUM, album);
      }
    });
    return this.get(id);
  }

  /** Deletes the album, its photos (cascade) and, through the outbox, its Keycloak resource. */
  async delete(id: string): Promise<void> {
    await this.dataSource.transaction(async (manager: EntityManager) => {
      const album = await this.albums.lock(manager, id);
      if (album === undefined) {
        throw notFoundProblem(`No album ${id}`);
      }
      await this.albums.delete(manager, id);
      await this.outbox.delete(manager, ALBUM, album);
    });
  }

  /** A page of albums, newest first; without `ownerId`, every owner's. */
  async page(options: {
    ownerId?: string;
    limit?: number;
    cursor?: string;
  }): Promise<AlbumPageDto> {
    const page = await readPage({
      limit: options.limit,
      cursor: options.cursor,
      parse: albumPositionIn,
      read: (after, count) => this.albums.page({ ownerId: options.ownerId, limit: count, after }),
      positionOf: ({ album }): AlbumPosition => ({ createdAt: album.createdAt, id: album.id }),
    });
    return { items: page.items.map(toAlbumResponse), nextCursor: page.nextCursor };
  }
}
