import { Controller, Get, NotFoundException, Param, type Type } from '@nestjs/common';
import { Public, Resource, Scopes } from 'nest-keycloak-connect';
import { AlbumStore, type AlbumResponse, type RegisteredAlbum } from './album.store';

/**
 * `GET /albums/<albumId>` guarded by nest-keycloak-connect's ResourceGuard on the album's own
 * Keycloak resource. `@Resource` is class metadata read from `context.getClass()`, so one class
 * names one resource: each registered album gets its own controller (see README.md, "Resource
 * and scope").
 *
 * `@Scopes('')` asks Keycloak for the resource without a scope: `album:view` cannot be expressed,
 * because keycloak-connect's enforcer splits `resource:scope` on `:` and keeps two parts (the
 * scope would reach Keycloak as `album`, an unknown scope: 400 invalid_scope, so 403 for all),
 * and no `@Scopes` at all lets the default PERMISSIVE mode pass the request without asking.
 */
export function guardedAlbumController({ albumId, resourceId }: RegisteredAlbum): Type<unknown> {
  @Controller(`albums/${albumId}`)
  @Resource(resourceId)
  class GuardedAlbumController {
    constructor(private readonly albums: AlbumStore) {}

    @Get()
    @Scopes('')
    get(): Promise<AlbumResponse> {
      return this.albums.get(albumId);
    }
  }
  Object.defineProperty(GuardedAlbumController, 'name', { value: `Album_${albumId}_Controller` });
  return GuardedAlbumController;
}

/**
 * Any other `GET /albums/:id` (unknown, or registered after the peer started): authenticated by
 * AuthGuard like the guarded routes, then 404. No `@Resource`, so ResourceGuard's default
 * PERMISSIVE mode lets it through without asking Keycloak.
 */
@Controller('albums')
export class UnroutedAlbumController {
  @Get(':id')
  get(@Param('id') id: string): never {
    throw new NotFoundException(
      `album ${id} has no route in this peer (unknown, or its Keycloak resource was registered after the peer started)`,
    );
  }
}

/** The floor: the same read behind `@Public()`, no token needed, Keycloak not asked. */
@Controller('public/albums')
export class PublicAlbumController {
  constructor(private readonly albums: AlbumStore) {}

  @Public()
  @Get(':id')
  get(@Param('id') id: string): Promise<AlbumResponse> {
    return this.albums.get(id);
  }
}

@Controller('health')
export class HealthController {
  @Public()
  @Get()
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
