import type { PermissionTicket } from '@app/keycloak';

/** Someone who asks for or holds access: a person, or a partner application. */
export interface Party {
  /** How Keycloak's tickets name it: a user id, or a partner client's internal id. */
  readonly id: string;
  readonly username: string;
  readonly partner: boolean;
  /** The `sub` of its tokens (for a partner, its service-account user). */
  readonly subject: string;
}

/** A permission ticket with its scope's name (Keycloak's tickets name only the scope's id). */
export interface NamedTicket extends PermissionTicket {
  readonly scopeName: string;
}

/** Everything one party asked for or holds on one resource. */
export interface GrantEntry {
  readonly resourceId: string;
  readonly ownerId: string;
  readonly requester: Party;
  readonly pending: readonly NamedTicket[];
  readonly granted: readonly NamedTicket[];
  /** Scopes a partner holds through the owner's direct share. */
  readonly sharedScopes: readonly string[];
  /** What the party holds now by this service's record (`GrantRecordRepository`), which RPTs are held to. */
  readonly current: readonly string[];
}

/** The scopes of some tickets, each once, sorted. */
export function scopeNames(tickets: readonly NamedTicket[]): string[] {
  return [...new Set(tickets.map((ticket) => ticket.scopeName))].sort();
}

/** What Keycloak grants the party: its granted tickets and, for a partner, its share. */
export function grantedScopes(entry: GrantEntry): string[] {
  return [...new Set([...scopeNames(entry.granted), ...entry.sharedScopes])].sort();
}

/**
 * What the party can use: granted in Keycloak and in this service's record. A grant made in
 * Keycloak directly (the admin console, the protection API) is not in the record, and RPTs
 * carrying it are refused until the owner confirms it here (a share).
 */
export function effectiveScopes(entry: GrantEntry): string[] {
  return grantedScopes(entry).filter((scope) => entry.current.includes(scope));
}

/** What the party holds in Keycloak or has asked for there (nothing without an entry). */
export function askedFor(entry: GrantEntry | undefined): Set<string> {
  return new Set([
    ...(entry === undefined ? [] : grantedScopes(entry)),
    ...scopeNames(entry?.pending ?? []),
  ]);
}

/** An entry for a party that holds and asked for nothing in Keycloak (`sharedScopes` aside). */
export function emptyEntry(
  album: { readonly resourceId: string; readonly ownerId: string },
  requester: Party,
  sharedScopes: readonly string[] = [],
): GrantEntry {
  return {
    resourceId: album.resourceId,
    ownerId: album.ownerId,
    requester,
    pending: [],
    granted: [],
    sharedScopes: [...sharedScopes],
    current: [],
  };
}
