import type { NotificationKind } from './notification-kind.ts';
import type { NotificationRow } from './notification.repository.ts';

/** A plain-text email, the only kind sent: nothing in it is read as markup. */
export interface MailMessage {
  readonly subject: string;
  readonly text: string;
}

/** What each kind says, in a subject line (names come from Keycloak and the album's owner). */
const SUBJECTS: Readonly<Record<NotificationKind, (row: NotificationRow) => string>> = {
  'request-received': (row) => `${row.actor_username} asks for access to "${row.album_name}"`,
  'request-approved': (row) =>
    `${row.actor_username} approved your request for "${row.album_name}"`,
  'request-denied': (row) => `${row.actor_username} denied your request for "${row.album_name}"`,
  'album-shared': (row) => `${row.actor_username} shared "${row.album_name}" with you`,
  'link-redeemed': (row) =>
    `${row.actor_username} joined "${row.album_name}" through an invitation link`,
};

/** Line breaks and other control characters would end a header early: each becomes a space. */
function oneLine(text: string): string {
  // oxlint-disable-next-line no-control-regex -- control characters are what is removed.
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200);
}

/** The email of a notification, with a link to where the web app shows it. */
export function notificationMail(row: NotificationRow, webAppUrl: string): MailMessage {
  const subject = oneLine(SUBJECTS[row.kind](row));
  const lines = [
    subject + '.',
    ...(row.scopes.length > 0 ? [`Scopes: ${row.scopes.join(', ')}`] : []),
    ...(row.message === null ? [] : ['', 'Message:', row.message]),
    '',
    `Open Photoz: ${webAppUrl}`,
    '',
    'You get these emails because email notifications are on; turn them off in the app.',
  ];
  return { subject: `Photoz: ${subject}`, text: lines.join('\n') };
}
