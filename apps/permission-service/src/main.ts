import 'reflect-metadata';
import { runService } from '@app/platform';
import { permissionService } from './permission-service.definition.ts';

await runService(permissionService);
