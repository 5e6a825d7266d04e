import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  ALBUM_RESOURCE_TYPE,
  albumIdOf,
  albumResourceName,
  isUuid,
  validationProblem,
} from '@app/common';
import { UMA_ACCESS_SCHEMA } from '@app/grant-record';
import { ProtectionApiClient, type RegisteredResource } from '@app/keycloak';
import { DEPLOYMENT_ATTRIBUTE } from '@app/uma-resources';

/** Injection token: the deployment whose albums this service manages (`UMA_DEPLOYMENT`). */
export const ALBUM_DEPLOYMENT = Symbol('ALBUM_DEPLOYMENT');

/** An album as Keycloak knows it: the resource registered for it by the album service. */
export interface AlbumResource {
  readonly albumId: string;
  readonly resourceId: string;
  readonly name: string;
  readonly ownerId: string;
  readonly scopes: readonly string[];
}

/** An album as the album service publishes it (`uma_access.album_resources`): no scopes. */
export type ListedAlbum = Omit<AlbumResource, 'scopes'>;

/** {@link ListedAlbum} with its owner's username, as the album service published it. */
export interface PublishedAlbum extends ListedAlbum {
  readonly ownerUsername: string;
}

/**
 * The album a resource stands for, when it is one of this deployment's: deployments that share a
 * realm (the dev stack and the tests, say) must not see each other's albums, requests or shares.
 */
function toAlbum(resource: RegisteredResource, deployment: string): AlbumResource | undefined {
  const albumId = albumIdOf(resource.name);
  if (
    albumId === undefined ||
    resource.type !== ALBUM_RESOURCE_TYPE ||
    resource.ownerId === undefined ||
    !(resource.attributes[DEPLOYMENT_ATTRIBUTE] ?? []).includes(deployment)
  ) {
    return undefined;
  }
  return {
    albumId,
    resourceId: resource.id,
    name: resource.displayName ?? resource.name,
    ownerId: resource.ownerId,
    scopes: resource.scopes,
  };
}

/**
 * Finds albums through their Keycloak resources, which the protocol is held to, or, for the
 * lists, through the view the album service publishes of its registered albums (its own tables,
 * read without asking Keycloak). It decides nothing about who may see an album: that is the
 * AccessPolicy's.
 */
@Injectable()
export class AlbumDirectory {
  constructor(
    private readonly protection: ProtectionApiClient,
    @Inject(ALBUM_DEPLOYMENT) private readonly deployment: string,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * The album as the album service publishes it once registered in Keycloak; `undefined` when it
   * does not exist or is not registered yet. A malformed id is a `400`.
   */
  async listed(albumId: string): Promise<ListedAlbum | undefined> {
    if (!isUuid(albumId)) {
      throw validationProblem([{ field: 'albumId', message: 'albumId is not a valid album id' }]);
    }
    const [row] = (await this.dataSource.query(
      `SELECT album_id AS "albumId", resource_id AS "resourceId", name, owner_id AS "ownerId"
         FROM ${UMA_ACCESS_SCHEMA}.album_resources WHERE album_id = $1`,
      [albumId],
    )) as ListedAlbum[];
    return row;
  }

  /**
   * The published albums of these resources, by resource id (without asking Keycloak); a
   * resource that is no album of this deployment, or no longer one, is left out.
   */
  async published(resourceIds: readonly string[]): Promise<Map<string, PublishedAlbum>> {
    const rows = (await this.dataSource.query(
      `SELECT album_id AS "albumId", resource_id AS "resourceId", name, owner_id AS "ownerId",
              owner_username AS "ownerUsername"
         FROM ${UMA_ACCESS_SCHEMA}.album_resources WHERE resource_id = ANY($1::varchar[])`,
      [[...new Set(resourceIds)]],
    )) as PublishedAlbum[];
    return new Map(rows.map((row) => [row.resourceId, row]));
  }

  /**
   * The album, or `undefined` when it does not exist (or is not registered yet); a malformed id is
   * a `400` before any call to Keycloak.
   */
  async find(albumId: string): Promise<AlbumResource | undefined> {
    if (!isUuid(albumId)) {
      throw validationProblem([{ field: 'albumId', message: 'albumId is not a valid album id' }]);
    }
    const [resource] = await this.protection.findResources({
      name: albumResourceName(albumId),
      exactName: true,
      type: ALBUM_RESOURCE_TYPE,
    });
    return resource === undefined ? undefined : toAlbum(resource, this.deployment);
  }

  /** Albums by resource id; resources that are gone or not albums are left out. */
  async byResourceIds(resourceIds: Iterable<string>): Promise<Map<string, AlbumResource>> {
    const unique = [...new Set(resourceIds)];
    const resources = await Promise.all(unique.map((id) => this.protection.getResource(id)));
    const albums = new Map<string, AlbumResource>();
    for (const resource of resources) {
      const album = resource === undefined ? undefined : toAlbum(resource, this.deployment);
      if (album !== undefined) {
        albums.set(album.resourceId, album);
      }
    }
    return albums;
  }
}
