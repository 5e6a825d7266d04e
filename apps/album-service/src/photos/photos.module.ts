import { Module } from '@nestjs/common';
import { PHOTO_CONTENT_STORE, PostgresPhotoContentStore } from './photo-content.store.ts';
import { PhotoRepository } from './photo.repository.ts';
import { PhotoService } from './photo.service.ts';
import { PhotosController } from './photos.controller.ts';

/** Photos of albums: their routes, their metadata table and the store of their bytes. */
@Module({
  controllers: [PhotosController],
  providers: [
    PhotoRepository,
    PhotoService,
    { provide: PHOTO_CONTENT_STORE, useClass: PostgresPhotoContentStore },
  ],
})
export class PhotosModule {}
