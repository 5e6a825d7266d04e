/** The permission service's own PostgreSQL schema. */
export const PERMISSION_SERVICE_SCHEMA = 'permission_service';
