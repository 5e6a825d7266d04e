import { problem, ProblemException } from '@app/common';

/** The `409` for a grant to a person whose account is disabled (or gone) at Keycloak. */
export function userDisabled(username: string): ProblemException {
  return new ProblemException({
    status: 409,
    code: 'user-disabled',
    title: 'User disabled',
    detail: `The account of ${username} is disabled: nothing was granted. Grant it again once the account is enabled.`,
  });
}

/** {@link userDisabled}, for a route's OpenAPI document. */
export const USER_DISABLED = problem(
  409,
  'user-disabled',
  "the user's account is disabled at Keycloak: nothing was granted (narrowing and revoking still work)",
);
