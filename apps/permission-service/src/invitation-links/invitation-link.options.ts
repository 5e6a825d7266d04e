/** Injection token of {@link InvitationLinkOptions}. */
export const INVITATION_LINK_OPTIONS = Symbol('INVITATION_LINK_OPTIONS');

/** How invitation links are made and how hard guessing them is made. */
export interface InvitationLinkOptions {
  /** The web app's origin: a link is `<webAppUrl>/invite#<secret>` (`WEB_APP_URL`). */
  readonly webAppUrl: string;
  /** How far ahead a link may expire (`INVITATION_LINK_MAX_DURATION_DAYS`). */
  readonly maxDurationDays: number;
  /**
   * Failed redemptions allowed per caller and per client address in the window
   * (`INVITATION_REDEEM_FAILURE_LIMIT`, `INVITATION_REDEEM_FAILURE_WINDOW_SECONDS`).
   */
  readonly failureLimit: number;
  readonly failureWindowSeconds: number;
}
