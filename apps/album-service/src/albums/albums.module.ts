import { Module } from '@nestjs/common';
import { AlbumResourceResolver } from './album-resource.resolver.ts';
import { AlbumRepository } from './album.repository.ts';
import { AlbumService } from './album.service.ts';
import { AdminAlbumsController, AlbumsController } from './albums.controller.ts';

/** Albums: their routes, their table, and how the `@Scopes` guard finds them. */
@Module({
  controllers: [AlbumsController, AdminAlbumsController],
  providers: [AlbumRepository, AlbumService, AlbumResourceResolver],
  // Photos are charged to their album's owner (quotas).
  exports: [AlbumRepository],
})
export class AlbumsModule {}
