/** What a person can be told of, and whom each kind goes to. */
export const NOTIFICATION_KINDS = [
  /** To the album's owner: someone asked for access. */
  'request-received',
  /** To the requester: the owner approved the request (all or some of it). */
  'request-approved',
  /** To the requester: the owner denied the request. */
  'request-denied',
  /** To the person shared with: the owner shared the album directly. */
  'album-shared',
  /** To the album's owner: someone redeemed one of the album's invitation links. */
  'link-redeemed',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * One notification to write, with the change that causes it: the recipient's token subject and
 * what the list shows. The album and the actor come from the audited step it goes with.
 */
export interface Notice {
  readonly kind: NotificationKind;
  /** The recipient's token subject (`sub`). */
  readonly recipient: string;
  readonly albumName: string;
  /** The requester's words, for `request-received`. */
  readonly message?: string | null;
}
