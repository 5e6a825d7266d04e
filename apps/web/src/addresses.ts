/** Where the dev stack serves Keycloak and the two services; the `VITE_*` settings override them. */
export const DEV_ADDRESSES = {
  albumApi: 'http://localhost:3000',
  permissionApi: 'http://localhost:3001',
  keycloakUrl: 'http://localhost:8080',
} as const;
