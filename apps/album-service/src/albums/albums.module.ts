import { Module } from '@nestjs/common';
import { AlbumResourceResolver } from './album-uma.ts';
import { AlbumRepository } from './album.repository.ts';
import { AlbumService } from './album.service.ts';
import { AdminAlbumsController, AlbumsController } from './albums.controller.ts';

@Module({
  controllers: [AlbumsController, AdminAlbumsController],
  providers: [AlbumRepository, AlbumService, AlbumResourceResolver],
  exports: [AlbumRepository],
})
export class AlbumsModule {}
