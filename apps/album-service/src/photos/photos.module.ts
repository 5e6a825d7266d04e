import { Module } from '@nestjs/common';
import { AlbumsModule } from '../albums/albums.module.ts';
import { PHOTO_CONTENT_STORE, PostgresPhotoContentStore } from './photo-content.store.ts';
import { PhotoRepository } from './photo.repository.ts';
import { PhotoService } from './photo.service.ts';
import { PhotosController } from './photos.controller.ts';

/** Photos of albums: their routes, their metadata table and the store of their bytes. */
@Module({
  imports: [AlbumsModule],
  controllers: [PhotosController],
  providers: [
    PhotoRepository,
    PhotoService,
    { provide: PHOTO_CONTENT_STORE, useClass: PostgresPhotoContentStore },
  ],
})
export class PhotosModule {}
