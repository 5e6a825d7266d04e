import { validationProblem } from '@app/common';
import { decodeJwtPayload } from '@app/keycloak';

/** What a permission ticket names: one resource and the scopes asked for on it. */
export interface TicketPermission {
  readonly resourceId: string;
  readonly scopes: readonly string[];
}

/**
 * The resource and scopes a permission ticket names, read from its payload WITHOUT verifying it.
 * A ticket is signed with a realm HMAC key that only Keycloak holds, so what this returns is
 * believed only after Keycloak has accepted the ticket; `undefined` when it names nothing.
 */
export function unverifiedTicketPermission(ticket: string): TicketPermission | undefined {
  const permissions = decodeJwtPayload(ticket)?.['permissions'];
  const [permission] = Array.isArray(permissions) ? (permissions as unknown[]) : [];
  if (typeof permission !== 'object' || permission === null) {
    return undefined;
  }
  const { rsid, scopes } = permission as { rsid?: unknown; scopes?: unknown };
  if (typeof rsid !== 'string' || !Array.isArray(scopes)) {
    return undefined;
  }
  return {
    resourceId: rsid,
    scopes: scopes.filter((scope): scope is string => typeof scope === 'string'),
  };
}

/** The one answer to a ticket Keycloak refused or this service cannot read: it names no album. */
export function invalidTicket(): never {
  throw validationProblem([
    { field: 'ticket', message: 'ticket is not a valid, unexpired permission ticket' },
  ]);
}
