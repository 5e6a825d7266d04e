import { z } from 'zod';
import {
  databaseName,
  httpUrl,
  loadServiceConfig,
  parseEnv,
  type ServiceConfig,
  umaDeployment,
} from '@app/common';
import {
  DEFAULT_GRANT_CLEANUP_OPTIONS,
  type GrantCleanupOptions,
} from './grants/grant-cleanup.relay.ts';
import {
  DEFAULT_GRANT_EXPIRY_SWEEP_OPTIONS,
  type GrantExpirySweepOptions,
} from './grants/grant-expiry.sweep.ts';
import type { KeycloakWatchOptions } from './grants/keycloak-watch.ts';
import {
  DEFAULT_EMAIL_OUTBOX_OPTIONS,
  type EmailOutboxOptions,
} from './notifications/email-outbox.relay.ts';
import type { MailOptions } from './notifications/mail-sender.ts';
import {
  DEFAULT_NOTIFICATION_STREAM_OPTIONS,
  type NotificationStreamOptions,
} from './notifications/notification-streams.ts';
import { DEFAULT_SHARE_MAX_DURATION_DAYS } from './shares/share-expiry.ts';
import type { InvitationLinkOptions } from './invitation-links/invitation-link.options.ts';
import {
  DEFAULT_REQUEST_CONDITIONS,
  type RequestConditions,
} from './permission-requests/request-conditions.ts';

/** The permission service's configuration: the common one and the deployment it serves. */
export interface PermissionServiceConfig extends ServiceConfig {
  /** Only albums whose Keycloak resources carry this `deployment` attribute are this service's. */
  readonly deployment: string;
  /**
   * How often narrowings made in Keycloak itself are looked for (docs/security.md, "What a caller
   * holds now").
   */
  readonly keycloakWatch: KeycloakWatchOptions;
  /** How long a pending request's answer is repeated without asking Keycloak (0: never). */
  readonly requestRepeatWindowSeconds: number;
  /** A request's expiry and the interval before asking again after a denial. */
  readonly requestConditions: RequestConditions;
  /** The relay that finishes revocations in Keycloak (docs/operations.md, "Clean-ups"). */
  readonly grantCleanup: GrantCleanupOptions;
  /** Email of notifications (docs/notifications.md): off without `SMTP_URL`. */
  readonly mail: MailOptions;
  readonly emailOutbox: EmailOutboxOptions;
  /** The live notification streams' bounds and heartbeat. */
  readonly notificationStreams: NotificationStreamOptions;
  /** The longest a share or an approval may be given for, in days (`expiresAt`). */
  readonly shareMaxDurationDays: number;
  /** The sweep that removes expired grants (docs/operations.md, "Expiring shares"). */
  readonly grantExpirySweep: GrantExpirySweepOptions;
  /** Invitation links: their URL, bounds and the rate limit of failed redemptions. */
  readonly invitationLinks: InvitationLinkOptions;
}

/** A whole number from `min` to `max`, saying so when it is not. */
function wholeNumber(min: number, max: number, fallback: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.coerce
    .number({ error: message })
    .int(message)
    .min(min, message)
    .max(max, message)
    .default(fallback);
}

/** Every read of this service asks Keycloak: fewer of them than the album service's reads. */
const PERMISSION_RATE_LIMITS = { read: 300, write: 120, costly: 30 } as const;

const permissionEnv = z.object({
  // Partner shares are permissions on the resource server, which the admin API names by this id.
  KEYCLOAK_CLIENT_UUID: z.uuid({
    error: 'is required (the internal id of the album-api client, a UUID)',
  }),
  UMA_DEPLOYMENT: umaDeployment,
  KEYCLOAK_WATCH_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  KEYCLOAK_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(10_000).default(900_000),
  KEYCLOAK_REQUEST_IMPORT_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(500)
    .max(3_600_000)
    .default(30_000),
  PERMISSION_REQUEST_REPEAT_SECONDS: z.coerce
    .number({ error: 'must be 0 to 3600 seconds' })
    .int('must be 0 to 3600 seconds')
    .min(0, 'must be 0 to 3600 seconds')
    .max(3600, 'must be 0 to 3600 seconds')
    .default(60),
  PERMISSION_REQUEST_TTL_SECONDS: z.coerce
    .number({ error: 'must be 1 to 31536000 seconds' })
    .int('must be 1 to 31536000 seconds')
    .min(1, 'must be 1 to 31536000 seconds')
    .max(31_536_000, 'must be 1 to 31536000 seconds')
    .default(DEFAULT_REQUEST_CONDITIONS.ttlSeconds),
  PERMISSION_REQUEST_SWEEP_INTERVAL_MS: z.coerce
    .number({ error: 'must be 100 to 3600000 ms' })
    .int('must be 100 to 3600000 ms')
    .min(100, 'must be 100 to 3600000 ms')
    .max(3_600_000, 'must be 100 to 3600000 ms')
    .default(DEFAULT_REQUEST_CONDITIONS.sweepIntervalMs),
  PERMISSION_REQUEST_REASK_SECONDS: z.coerce
    .number({ error: 'must be 0 to 2592000 seconds' })
    .int('must be 0 to 2592000 seconds')
    .min(0, 'must be 0 to 2592000 seconds')
    .max(2_592_000, 'must be 0 to 2592000 seconds')
    .default(DEFAULT_REQUEST_CONDITIONS.reaskSeconds),
  GRANT_CLEANUP_ENABLED: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('true'),
  GRANT_CLEANUP_POLL_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(50, 'must be at least 50')
    .default(DEFAULT_GRANT_CLEANUP_OPTIONS.pollIntervalMs),
  GRANT_CLEANUP_MAX_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1, 'must be at least 1')
    .default(DEFAULT_GRANT_CLEANUP_OPTIONS.maxAttempts),
  GRANT_CLEANUP_MAX_BACKOFF_MS: z.coerce
    .number()
    .int()
    .min(100, 'must be at least 100')
    .default(DEFAULT_GRANT_CLEANUP_OPTIONS.maxBackoffMs),
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  SMTP_FROM: z.string().min(3).max(255).default('Photoz <no-reply@photoz.test>'),
  EMAIL_OUTBOX_POLL_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(50, 'must be at least 50')
    .default(DEFAULT_EMAIL_OUTBOX_OPTIONS.pollIntervalMs),
  EMAIL_OUTBOX_MAX_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1, 'must be at least 1')
    .default(DEFAULT_EMAIL_OUTBOX_OPTIONS.maxAttempts),
  EMAIL_OUTBOX_MAX_BACKOFF_MS: z.coerce
    .number()
    .int()
    .min(100, 'must be at least 100')
    .default(DEFAULT_EMAIL_OUTBOX_OPTIONS.maxBackoffMs),
  NOTIFICATION_STREAMS_PER_USER: z.coerce
    .number()
    .int()
    .min(1, 'must be 1 to 100')
    .max(100, 'must be 1 to 100')
    .default(DEFAULT_NOTIFICATION_STREAM_OPTIONS.perUser),
  NOTIFICATION_STREAMS_MAX: z.coerce
    .number()
    .int()
    .min(1, 'must be at least 1')
    .default(DEFAULT_NOTIFICATION_STREAM_OPTIONS.perInstance),
  NOTIFICATION_STREAM_HEARTBEAT_MS: z.coerce
    .number()
    .int()
    .min(1_000, 'must be 1000 to 300000')
    .max(300_000, 'must be 1000 to 300000')
    .default(DEFAULT_NOTIFICATION_STREAM_OPTIONS.heartbeatMs),
  SHARE_MAX_DURATION_DAYS: z.coerce
    .number({ error: 'must be 1 to 36500 days' })
    .int('must be 1 to 36500 days')
    .min(1, 'must be 1 to 36500 days')
    .max(36_500, 'must be 1 to 36500 days')
    .default(DEFAULT_SHARE_MAX_DURATION_DAYS),
  GRANT_EXPIRY_SWEEP_ENABLED: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('true'),
  GRANT_EXPIRY_SWEEP_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(100, 'must be at least 100')
    .max(86_400_000, 'must be at most 86400000 (a day)')
    .default(DEFAULT_GRANT_EXPIRY_SWEEP_OPTIONS.intervalMs),
  // Where the web app is: an invitation link is `<WEB_APP_URL>/invite#<secret>`.
  WEB_APP_URL: httpUrl.default('http://localhost:5173'),
  INVITATION_LINK_MAX_DURATION_DAYS: wholeNumber(1, 3650, 90),
  INVITATION_REDEEM_FAILURE_LIMIT: wholeNumber(1, 100_000, 10),
  INVITATION_REDEEM_FAILURE_WINDOW_SECONDS: wholeNumber(1, 86_400, 600),
});

export function loadPermissionServiceConfig(
  env: Record<string, string | undefined> = process.env,
): PermissionServiceConfig {
  const config = loadServiceConfig(3001, env, 9102, PERMISSION_RATE_LIMITS);
  const own = parseEnv(permissionEnv, env);
  return {
    ...config,
    deployment: own.UMA_DEPLOYMENT ?? databaseName(config.database.url),
    keycloakWatch: {
      intervalMs: own.KEYCLOAK_WATCH_INTERVAL_MS,
      reconcileIntervalMs: own.KEYCLOAK_RECONCILE_INTERVAL_MS,
      requestImportIntervalMs: own.KEYCLOAK_REQUEST_IMPORT_INTERVAL_MS,
    },
    requestRepeatWindowSeconds: own.PERMISSION_REQUEST_REPEAT_SECONDS,
    requestConditions: {
      ttlSeconds: own.PERMISSION_REQUEST_TTL_SECONDS,
      sweepIntervalMs: own.PERMISSION_REQUEST_SWEEP_INTERVAL_MS,
      reaskSeconds: own.PERMISSION_REQUEST_REASK_SECONDS,
    },
    grantCleanup: {
      enabled: own.GRANT_CLEANUP_ENABLED === 'true',
      pollIntervalMs: own.GRANT_CLEANUP_POLL_INTERVAL_MS,
      maxAttempts: own.GRANT_CLEANUP_MAX_ATTEMPTS,
      maxBackoffMs: own.GRANT_CLEANUP_MAX_BACKOFF_MS,
    },
    mail: { smtpUrl: own.SMTP_URL, from: own.SMTP_FROM, webAppUrl: own.WEB_APP_URL },
    emailOutbox: {
      enabled: own.SMTP_URL !== undefined,
      pollIntervalMs: own.EMAIL_OUTBOX_POLL_INTERVAL_MS,
      maxAttempts: own.EMAIL_OUTBOX_MAX_ATTEMPTS,
      maxBackoffMs: own.EMAIL_OUTBOX_MAX_BACKOFF_MS,
    },
    notificationStreams: {
      ...DEFAULT_NOTIFICATION_STREAM_OPTIONS,
      perUser: own.NOTIFICATION_STREAMS_PER_USER,
      perInstance: own.NOTIFICATION_STREAMS_MAX,
      heartbeatMs: own.NOTIFICATION_STREAM_HEARTBEAT_MS,
    },
    shareMaxDurationDays: own.SHARE_MAX_DURATION_DAYS,
    grantExpirySweep: {
      enabled: own.GRANT_EXPIRY_SWEEP_ENABLED === 'true',
      intervalMs: own.GRANT_EXPIRY_SWEEP_INTERVAL_MS,
    },
    invitationLinks: {
      webAppUrl: own.WEB_APP_URL,
      maxDurationDays: own.INVITATION_LINK_MAX_DURATION_DAYS,
      failureLimit: own.INVITATION_REDEEM_FAILURE_LIMIT,
      failureWindowSeconds: own.INVITATION_REDEEM_FAILURE_WINDOW_SECONDS,
    },
  };
}
