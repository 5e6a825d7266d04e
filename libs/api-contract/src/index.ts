/** The HTTP contract of both services, generated from their OpenAPI documents by `npm run openapi`. */
export type * as AlbumService from './album-service.ts';
export type * as PermissionService from './permission-service.ts';
