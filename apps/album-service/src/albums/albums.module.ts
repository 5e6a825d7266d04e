import { Module } from '@nestjs/common';
import { AlbumResource } from './album-resource.ts';
import { AlbumRepository } from './album.repository.ts';
import { AlbumService } from './album.service.ts';
import { AdminAlbumsController, AlbumsController } from './albums.controller.ts';

/** Albums: their routes, their table, and the album as a kind of Keycloak resource. */
@Module({
  controllers: [AlbumsController, AdminAlbumsController],
  providers: [AlbumRepository, AlbumService, AlbumResource],
  // The owner's quota lock, which photo uploads take too.
  exports: [AlbumRepository],
})
export class AlbumsModule {}
