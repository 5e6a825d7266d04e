import { Module } from '@nestjs/common';
import { PHOTO_CONTENT_STORE, PostgresPhotoContentStore } from './photo-content.store.ts';
import { PhotoService } from './photo.service.ts';
import { PhotosController } from './photos.controller.ts';

@Module({
  controllers: [PhotosController],
  providers: [PhotoService, { provide: PHOTO_CONTENT_STORE, useClass: PostgresPhotoContentStore }],
})
export class PhotosModule {}
