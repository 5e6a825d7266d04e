import { Injectable } from '@nestjs/common';
import {
  ALBUM_RESOURCE_TYPE,
  albumIdOf,
  albumResourceName,
  isUuid,
  validationProblem,
} from '@app/common';
import { ProtectionApiClient, type RegisteredResource } from '@app/keycloak';

/** An album as Keycloak knows it: the resource registered for it by the album service. */
export interface AlbumResource {
  readonly albumId: string;
  readonly resourceId: string;
  readonly name: string;
  readonly ownerId: string;
  readonly scopes: readonly string[];
}

function toAlbum(resource: RegisteredResource): AlbumResource | undefined {
  const albumId = albumIdOf(resource.name);
  if (
    albumId === undefined ||
    resource.type !== ALBUM_RESOURCE_TYPE ||
    resource.ownerId === undefined
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
 * Finds albums through their Keycloak resources, so that this service needs nothing from the
 * album service's database. It decides nothing about who may see an album: that is the
 * AccessPolicy's.
 */
@Injectable()
export class AlbumDirectory {
  constructor(private readonly protection: ProtectionApiClient) {}

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
    return resource === undefined ? undefined : toAlbum(resource);
  }

  /** Albums by resource id; resources that are gone or not albums are left out. */
  async byResourceIds(resourceIds: Iterable<string>): Promise<Map<string, AlbumResource>> {
    const unique = [...new Set(resourceIds)];
    const resources = await Promise.all(unique.map((id) => this.protection.getResource(id)));
    const albums = new Map<string, AlbumResource>();
    for (const resource of resources) {
      const album = resource === undefined ? undefined : toAlbum(resource);
      if (album !== undefined) {
        albums.set(album.resourceId, album);
      }
    }
    return albums;
  }
}
