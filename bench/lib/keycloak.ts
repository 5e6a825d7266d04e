import { ensureTestKeycloak, keycloakEndpoint } from '../../scripts/lib/keycloak.ts';

/** The Keycloak at KEYCLOAK_URL when it serves the dev realm, else an in-memory one started here. */
export async function ensureKeycloak(say: (line: string) => void): Promise<{
  readonly url: string;
  readonly started: boolean;
  readonly stop: () => Promise<void>;
}> {
  const endpoint = keycloakEndpoint();
  const keycloak = await ensureTestKeycloak(endpoint, 'keycloak-bench.log', say);
  if (!keycloak.started) {
    say(`using the Keycloak at ${endpoint.url}`);
  }
  return { url: endpoint.url, ...keycloak };
}
