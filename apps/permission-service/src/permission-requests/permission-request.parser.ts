import { ProblemException, validationProblem } from '@app/common';
import { type NamedTicket, scopeNames } from '../grants/grant-entry.ts';
import type { CreatePermissionRequestDto } from './permission-request.dto.ts';
import { normalizeRequestMessage } from './request-message.ts';

/** What `POST /permission-requests` asks for: scopes on an album, or what a challenge's ticket names. */
export type CreateRequest = (
  | { readonly kind: 'album'; readonly albumId: string; readonly scopes: readonly string[] }
  | { readonly kind: 'ticket'; readonly ticket: string }
) & {
  /** The message for the owner, normalised; `undefined` when none was sent. */
  readonly message: string | undefined;
};

/** One of the two shapes of a new request; anything else is a `400` naming the fields. */
export function parseCreateRequest(input: CreatePermissionRequestDto): CreateRequest {
  const message = input.message === undefined ? undefined : normalizeRequestMessage(input.message);
  if (input.ticket !== undefined) {
    if (input.albumId !== undefined || input.scopes !== undefined) {
      throw validationProblem([
        { field: 'ticket', message: 'send either ticket, or albumId with scopes' },
      ]);
    }
    return { kind: 'ticket', ticket: input.ticket, message };
  }
  if (input.albumId === undefined || input.scopes === undefined) {
    throw validationProblem([
      ...(input.albumId === undefined
        ? [{ field: 'albumId', message: 'albumId is required (or send ticket)' }]
        : []),
      ...(input.scopes === undefined
        ? [{ field: 'scopes', message: 'scopes is required (or send ticket)' }]
        : []),
    ]);
  }
  return { kind: 'album', albumId: input.albumId, scopes: input.scopes, message };
}

/**
 * The pending tickets an owner's answer covers: all of them, or those of `scopes`. Nothing pending
 * is a `409`; a scope that is not pending is a `400`.
 */
export function answeredTickets(
  pending: readonly NamedTicket[],
  scopes: readonly string[] | undefined,
): NamedTicket[] {
  if (pending.length === 0) {
    throw new ProblemException({
      status: 409,
      code: 'nothing-pending',
      detail: 'The request has no pending scopes.',
    });
  }
  if (scopes === undefined) {
    return [...pending];
  }
  const pendingScopes = new Set(scopeNames(pending));
  const notPending = scopes.filter((scope) => !pendingScopes.has(scope));
  if (notPending.length > 0) {
    throw validationProblem([
      { field: 'scopes', message: `not requested and pending: ${notPending.join(', ')}` },
    ]);
  }
  return pending.filter((ticket) => scopes.includes(ticket.scopeName));
}
