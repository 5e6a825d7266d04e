/** The conditions a permission request is under (docs/security.md, "Requests: message, expiry, asking again"). */
export interface RequestConditions {
  /** How long a pending request waits for the owner's answer before it lapses. */
  readonly ttlSeconds: number;
  /** How often the sweep deletes the Keycloak tickets of lapsed requests. */
  readonly sweepIntervalMs: number;
  /** How long after a denial the requester may not ask for the same album again (0: at once). */
  readonly reaskSeconds: number;
}

export const REQUEST_CONDITIONS = Symbol('REQUEST_CONDITIONS');

export const DEFAULT_REQUEST_CONDITIONS: RequestConditions = {
  ttlSeconds: 14 * 24 * 3600,
  sweepIntervalMs: 60_000,
  reaskSeconds: 24 * 3600,
};

/** When a request made at `requestedAt` lapses. */
export function requestExpiresAt(requestedAt: Date, conditions: RequestConditions): Date {
  return new Date(requestedAt.getTime() + conditions.ttlSeconds * 1000);
}
