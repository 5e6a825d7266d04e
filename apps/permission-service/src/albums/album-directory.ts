import { Inject, Injectable } from '@nestjs/common';
import {
  ALBUM_RESOURCE_TYPE,
  albumIdOf,
  albumResourceName,
  isUuid,
  validationProblem,
} from '@app/common';
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
 * Finds albums through their Keycloak resources, so that this service needs nothing from the
 * album service's database. It decides nothing about who may see an album: that is the
 * AccessPolicy's.
 */
@Injectable()
export class AlbumDirectory {
  constructor(
    private readonly protection: ProtectionApiClient,
    @Inject(ALBUM_DEPLOYMENT) private readonly deployment: string,
  ) {}

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
