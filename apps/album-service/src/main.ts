import 'reflect-metadata';
import { runService } from '@app/platform';
import { albumService } from './album-service.definition.ts';

await runService(albumService);
