import type { MigrationInterface } from 'typeorm';
import { AddGrantExpiry1764200000000, CreateUmaAccess1763700000000 } from '#grant-record/schema';
import { InitialSchema1763800000000 } from './1763800000000-initial-schema.ts';
import { PublishAlbumResources1764000000002 } from './1764000000002-publish-album-resources.ts';

/** Every migration of the album service, oldest first. */
export const albumServiceMigrations: (new () => MigrationInterface)[] = [
  CreateUmaAccess1763700000000,
  InitialSchema1763800000000,
  PublishAlbumResources1764000000002,
  AddGrantExpiry1764200000000,
];
