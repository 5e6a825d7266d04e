import { authorizationServerUnavailable } from '@app/auth';
import { KeycloakUnavailableError } from '@app/keycloak';

/**
 * Runs a step that talks to Keycloak; when Keycloak is unreachable the caller gets a 503 with
 * Retry-After instead of a generic 500.
 */
export async function withKeycloak<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof KeycloakUnavailableError) {
      throw authorizationServerUnavailable(
        'The authorization server cannot be reached right now; repeat the request.',
      );
    }
    throw error;
  }
}
