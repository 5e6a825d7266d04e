import {
  ApiProblems,
  problem,
  type ProblemSpec,
  retryAfterHeader,
  UmaTicketProblemDto,
} from '@app/common';

/**
 * `503` of a route that changes a party's current grant (`CurrentGrantRepository.exclusive`)
 * while another change of the same grant holds the lock too long.
 */
export const ACCESS_CHANGE_IN_PROGRESS: ProblemSpec = problem(
  503,
  'access-change-in-progress',
  "another change of this party's access to the album is still running; nothing was changed",
  { headers: { 'Retry-After': 'Seconds to wait before repeating the request' } },
);

/**
 * What a `@Scopes` route answers besides its own results (applied by `@Scopes`): the UMA challenge
 * (`401` with `WWW-Authenticate: UMA realm, as_uri, ticket`), and the guard's other refusals.
 */
export const ApiUmaChallenge = (): MethodDecorator & ClassDecorator =>
  ApiProblems(
    problem(
      401,
      'uma-ticket',
      'the caller neither owns the resource nor holds an RPT with the scopes: exchange `ticket` at `as_uri` for an RPT',
      {
        headers: {
          'WWW-Authenticate':
            'UMA challenge: `UMA realm="photoz", as_uri="<issuer>", ticket="<permission ticket>"`',
        },
        body: UmaTicketProblemDto,
      },
    ),
    problem(400, 'validation', 'the resource id in the path is malformed'),
    problem(404, 'not-found', 'no such resource'),
    problem(
      403,
      'not-shareable-yet',
      'the resource is not registered with Keycloak yet (or again): no ticket can be issued; retry',
      { headers: retryAfterHeader },
    ),
    problem(
      503,
      'authorization-server-unavailable',
      'Keycloak cannot mint a permission ticket right now; retry',
      { headers: retryAfterHeader },
    ),
  );
