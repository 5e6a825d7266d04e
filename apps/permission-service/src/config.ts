import { z } from 'zod';
import {
  databaseName,
  loadServiceConfig,
  parseEnv,
  type ServiceConfig,
  umaDeployment,
} from '@app/common';
import {
  DEFAULT_GRANT_CLEANUP_OPTIONS,
  type GrantCleanupOptions,
} from './grants/grant-cleanup.relay.ts';
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
  /** The relay that finishes revocations in Keycloak (docs/operations.md, "Clean-ups"). */
  readonly grantCleanup: GrantCleanupOptions;
  /** Email of notifications (docs/notifications.md): off without `SMTP_URL`. */
  readonly mail: MailOptions;
  readonly emailOutbox: EmailOutboxOptions;
  /** The live notification streams' bounds and heartbeat. */
  readonly notificationStreams: NotificationStreamOptions;
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
  WEB_APP_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default('http://localhost:5173'),
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
  };
}
