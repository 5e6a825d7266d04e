import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import { authorizationServerUnavailable } from '@app/auth';
import { ProblemDetailsFilter } from '@app/common';
import { KeycloakUnavailableError } from '@app/keycloak';

/**
 * What the caller is told when Keycloak cannot be reached. It must stay true after any step of
 * any route: a change may have been partly made before Keycloak went away, so it never says that
 * nothing was changed, only that repeating the request is the way on.
 */
export const KEYCLOAK_UNAVAILABLE_DETAIL =
  'The authorization server cannot be reached right now; repeat the request.';

/**
 * Answers every `KeycloakUnavailableError` that escapes a route (Keycloak unreachable, timed out
 * or failing with `5xx`) with `503` `authorization-server-unavailable` and `Retry-After: 5`,
 * instead of the generic `500` of an unknown error. Routes that can say more about what an
 * outage left behind (a half-done revocation) catch the error themselves first.
 */
@Catch(KeycloakUnavailableError)
export class KeycloakUnavailableFilter implements ExceptionFilter<KeycloakUnavailableError> {
  // Rendered by the project's one problem-details filter, so the body carries the same
  // `instance` and `correlationId` as every other error.
  private readonly problems = new ProblemDetailsFilter();

  catch(_error: KeycloakUnavailableError, host: ArgumentsHost): void {
    this.problems.catch(authorizationServerUnavailable(KEYCLOAK_UNAVAILABLE_DETAIL), host);
  }
}
