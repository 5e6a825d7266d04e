import type { AuditRepository } from './audit.repository.ts';

/**
 * Keeps an album's audit trail in the order things happened: a request before its answer. A
 * requester may ask at Keycloak directly (the ticket exchange of a UMA challenge) rather than
 * through this service; the audit then learns of the request only when the owner answers it, and
 * records it just before the answer, unless the latest event about the requester is that request.
 */
export async function recordRequestSeenFirst(
  audit: AuditRepository,
  albumId: string,
  requester: { readonly id: string; readonly subject: string; readonly username: string },
  pendingScopes: readonly string[],
): Promise<void> {
  const latest = await audit.latest(albumId, requester.id);
  if (latest?.action === 'requested') {
    return;
  }
  await audit.record({
    albumId,
    action: 'requested',
    actor: { subject: requester.subject, username: requester.username },
    subject: requester,
    scopes: pendingScopes,
  });
}
