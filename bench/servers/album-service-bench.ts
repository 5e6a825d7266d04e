/**
 * The album service as `npm run bench` runs it: the real service, plus `GET /bench/public/albums/:id`,
 * the same read as `GET /albums/:id` marked `@Public()`, in the same application and pipeline
 * (global guards, filters, hooks), so that only the way of checking the caller differs.
 */
import 'reflect-metadata';
import { Controller, Get, Param } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Public } from '@app/common';
import { runService, type ServiceDefinition } from '@app/platform';
import { albumService } from '../../apps/album-service/src/album-service.definition.ts';
import type { AlbumResponseDto } from '../../apps/album-service/src/albums/album.dto.ts';
import { AlbumService } from '../../apps/album-service/src/albums/album.service.ts';
import type { AlbumServiceConfig } from '../../apps/album-service/src/config.ts';

@Controller('bench/public/albums')
class PublicAlbumController {
  private albums: AlbumService | undefined;

  constructor(private readonly moduleRef: ModuleRef) {}

  @Public()
  @Get(':id')
  get(@Param('id') id: string): Promise<AlbumResponseDto> {
    // The albums module keeps its service to itself; looked up once.
    this.albums ??= this.moduleRef.get(AlbumService, { strict: false }) ?? undefined;
    if (this.albums === undefined) {
      throw new Error('AlbumService is not available');
    }
    return this.albums.get(id);
  }
}

const benchAlbumService: ServiceDefinition<AlbumServiceConfig> = {
  ...albumService,
  module: (config) => {
    const service = albumService.module(config);
    return {
      ...service,
      controllers: [...(service.controllers ?? []), PublicAlbumController],
    };
  },
};

await runService(benchAlbumService);
