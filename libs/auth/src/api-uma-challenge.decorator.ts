import { ApiProblems, problem, retryAfterHeader, UmaTicketProblemDto } from '@app/common';

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
