/** The album service's own PostgreSQL schema. */
export const ALBUM_SERVICE_SCHEMA = 'album_service';
