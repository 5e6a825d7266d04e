import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Principal } from '@app/auth';
import { DEFAULT_PAGE_SIZE, notFoundProblem } from '@app/common';
import { UmaResourceRegistry } from '@app/uma-resources';
import { decodeCursor, encodeCursor } from './album-page.cursor.ts';
import {
  type AlbumPageDto,
  type CreateAlbumDto,
  toAlbumResponse,
  type UpdateAlbumDto,
  type AlbumResponseDto,
} from './album.dto.ts';
import { ALBUM, AlbumEntity } from './album.entity.ts';
import { AlbumRepository } from './album.repository.ts';

/**
 * Albums and their registration as Keycloak resources: every change is written together with its
 * outbox event, so no album is left unregistered or orphaned when Keycloak is down.
 * Access decisions are made before these methods run (`@Scopes` on the routes).
 */
@Injectable()
export class AlbumService {
  constructor(
    private readonly albums: AlbumRepository,
    private readonly uma: UmaResourceRegistry,
  ) {}

  async create(owner: Principal, input: CreateAlbumDto): Promise<AlbumResponseDto> {
    const now = new Date();
    const album = Object.assign(new AlbumEntity(), {
      id: randomUUID(),
      name: input.name,
      description: input.description ?? null,
      ownerId: owner.subject,
      ownerUsername: owner.username,
      createdAt: now,
      updatedAt: now,
    });
    await this.albums.transaction(async (manager) => {
      await this.albums.insert(manager, album);
      await this.uma.recordUpsert(manager, ALBUM, album);
    });
    this.uma.notifyCommitted();
    return toAlbumResponse({ album, resourceId: undefined });
  }

  async get(id: string): Promise<AlbumResponseDto> {
    const record = await this.albums.find(id);
    if (record === undefined) {
      throw notFoundProblem(`No album ${id}`);
    }
    return toAlbumResponse(record);
  }

  async update(id: string, input: UpdateAlbumDto): Promise<AlbumResponseDto> {
    const renamed = await this.albums.transaction(async (manager) => {
      const album = await this.albums.lock(manager, id);
      if (album === null) {
        throw notFoundProblem(`No album ${id}`);
      }
      const rename = input.name !== undefined && input.name !== album.name;
      album.name = input.name ?? album.name;
      album.description = input.description === undefined ? album.description : input.description;
      album.updatedAt = new Date();
      await this.albums.update(manager, album);
      if (rename) {
        await this.uma.recordUpsert(manager, ALBUM, album);
      }
      return rename;
    });
    if (renamed) {
      this.uma.notifyCommitted();
    }
    return this.get(id);
  }

  /** Deletes the album, its photos (cascade) and, through the outbox, its Keycloak resource. */
  async delete(id: string): Promise<void> {
    await this.albums.transaction(async (manager) => {
      const album = await this.albums.lock(manager, id);
      if (album === null) {
        throw notFoundProblem(`No album ${id}`);
      }
      await this.albums.delete(manager, id);
      await this.uma.recordDelete(manager, ALBUM, album);
    });
    this.uma.notifyCommitted();
  }

  /** A page of albums, newest first; without `ownerId`, every owner's. */
  async page(options: {
    ownerId?: string;
    limit?: number;
    cursor?: string;
  }): Promise<AlbumPageDto> {
    const limit = options.limit ?? DEFAULT_PAGE_SIZE;
    const records = await this.albums.page({
      ownerId: options.ownerId,
      limit: limit + 1,
      after: options.cursor === undefined ? undefined : decodeCursor(options.cursor),
    });
    const items = records.slice(0, limit);
    const last = items.at(-1);
    return {
      items: items.map(toAlbumResponse),
      nextCursor: records.length > limit && last !== undefined ? encodeCursor(last.album) : null,
    };
  }
}
