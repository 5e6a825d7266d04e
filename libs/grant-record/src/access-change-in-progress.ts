import { problem, ProblemException, type ProblemSpec } from '@app/common';

const CODE = 'access-change-in-progress';
const RETRY_AFTER_SECONDS = 1;

/**
 * The `503` of a change of a party's access (`GrantRecordRepository.exclusive`) that waited too
 * long for another change of the same party's access to the same resource: nothing was changed.
 */
export function accessChangeInProgress(): ProblemException {
  return new ProblemException({
    status: 503,
    code: CODE,
    detail:
      "Another change of this party's access to the album is still running; nothing was changed.",
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
  });
}

/** {@link accessChangeInProgress}, for the OpenAPI document of a route that changes access. */
export const ACCESS_CHANGE_IN_PROGRESS: ProblemSpec = problem(
  503,
  CODE,
  "another change of this party's access to the album is still running; nothing was changed",
  { headers: { 'Retry-After': 'Seconds to wait before repeating the request' } },
);
