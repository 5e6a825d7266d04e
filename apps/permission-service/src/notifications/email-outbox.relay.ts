import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { KeycloakUnavailableError } from '@app/keycloak';
import { log, metrics } from '@app/observability';
import { backoffMs } from '@app/uma-resources';
import { EmailDelivery, type EmailWork } from './email-delivery.ts';
import {
  EmailOutboxRepository,
  type OutboxEmail,
  type OutboxStore,
} from './email-outbox.repository.ts';
import { PollingLoop } from '../common/polling-loop.ts';

/** How the email relay runs (`EMAIL_OUTBOX_*`); it runs only with `SMTP_URL` set. */
export interface EmailOutboxOptions {
  readonly enabled: boolean;
  /** How often an idle relay looks for due emails. */
  readonly pollIntervalMs: number;
  /** Refusals by the mail server after which an email is parked. */
  readonly maxAttempts: number;
  /** The longest wait between two attempts. */
  readonly maxBackoffMs: number;
}

export const EMAIL_OUTBOX_OPTIONS = Symbol('EMAIL_OUTBOX_OPTIONS');

export const DEFAULT_EMAIL_OUTBOX_OPTIONS: EmailOutboxOptions = {
  enabled: true,
  pollIntervalMs: 1_000,
  maxAttempts: 8,
  maxBackoffMs: 300_000,
};

const BATCH = 10;
/** Longer than an SMTP exchange may take (nodemailer's timeouts: 10 s + 10 s + 30 s). */
const LEASE_MS = 120_000;

/**
 * Whether a failure says nothing about the email: the mail server (or Keycloak, for the address)
 * out of reach, or answering "try later" (a 4xx reply). Such failures are retried without limit;
 * a permanent refusal (a 5xx reply: no such mailbox, message refused) counts towards parking.
 */
export function transientMailFailure(error: unknown): boolean {
  if (error instanceof KeycloakUnavailableError) {
    return true;
  }
  const responseCode = (error as { responseCode?: unknown } | null)?.responseCode;
  return !(typeof responseCode === 'number' && responseCode >= 500);
}

/**
 * The next state of an email whose attempt failed: every failure makes the next wait longer
 * (doubling from 1 s up to `maxBackoffMs`, with jitter), and only permanent refusals count towards
 * parking after `maxAttempts`.
 */
export function retryPlan(
  email: Pick<OutboxEmail, 'attempts' | 'failures'>,
  transient: boolean,
  options: Pick<EmailOutboxOptions, 'maxAttempts' | 'maxBackoffMs'>,
  random: () => number = Math.random,
): { attempts: number; failures: number; delayMs: number; park: boolean } {
  const attempts = transient ? email.attempts : email.attempts + 1;
  const failures = email.failures + 1;
  return {
    attempts,
    failures,
    delayMs: backoffMs(failures, options.maxBackoffMs, random),
    park: !transient && attempts >= options.maxAttempts,
  };
}

const relayLog = log.child({ component: 'email-outbox' });

/**
 * Sends the notification emails of the outbox (`notification_emails`). Every instance runs one:
 * it leases due emails (`FOR UPDATE SKIP LOCKED`, so one instance sends an email at a time),
 * delivers each, and settles it: sent or skipped, the row goes; failed, it waits with backoff
 * ({@link retryPlan}), and after `maxAttempts` refusals it is parked and waits for an operator
 * (`GET /admin/notifications/emails`). While the mail server is down the emails wait, none lost;
 * an email is sent again only if the relay died between the server's acceptance and the row's
 * removal (at-least-once across a crash, once otherwise). Log lines name the email and
 * notification ids, never an address or a body.
 */
@Injectable()
export class EmailOutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop = new PollingLoop((error) =>
    relayLog.warn(
      { event: 'notification.email.claim-failed', error: messageOf(error) },
      'email relay could not claim emails',
    ),
  );
  private lastLoggedOutage = 0;

  constructor(
    @Inject(EmailOutboxRepository) private readonly store: OutboxStore,
    @Inject(EmailDelivery) private readonly work: EmailWork,
    @Inject(EMAIL_OUTBOX_OPTIONS) private readonly options: EmailOutboxOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.enabled) {
      return;
    }
    this.loop.start(async () => (await this.processBatch()) > 0, this.options.pollIntervalMs);
  }

  /** Stops once the batch in hand is settled, before the database pool closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Leases, delivers and settles a batch of due emails; returns how many. */
  async processBatch(): Promise<number> {
    const emails = await this.store.claimDue(BATCH, LEASE_MS);
    for (const email of emails) {
      await this.attempt(email);
    }
    return emails.length;
  }

  private async attempt(email: OutboxEmail): Promise<void> {
    let outcome;
    try {
      outcome = await this.work.deliver(email);
    } catch (error) {
      await this.settleFailure(email, error);
      return;
    }
    await this.store.complete(email);
    metrics.notificationEmails.inc({ result: outcome });
    relayLog.info(
      {
        event: `notification.email.${outcome}`,
        email: email.id,
        notification: email.notificationId,
        attempts: email.failures + 1,
      },
      outcome === 'sent' ? 'notification email sent' : 'notification email not to be sent',
    );
  }

  private async settleFailure(email: OutboxEmail, error: unknown): Promise<void> {
    const transient = transientMailFailure(error);
    const plan = retryPlan(email, transient, this.options);
    // The SMTP client's message may quote the server's reply, which may quote the address.
    const reason = failureReason(error);
    await this.store.reschedule(email, { ...plan, error: reason });
    metrics.notificationEmails.inc({ result: plan.park ? 'parked' : 'retried' });
    const fields = {
      email: email.id,
      notification: email.notificationId,
      attempts: plan.attempts,
      failures: plan.failures,
      error: reason,
    };
    if (plan.park) {
      relayLog.error(
        { event: 'notification.email.parked', ...fields },
        'notification email parked',
      );
    } else if (!transient) {
      relayLog.warn({ event: 'notification.email.retried', ...fields }, 'email refused, retried');
    } else if (Date.now() - this.lastLoggedOutage > 30_000) {
      this.lastLoggedOutage = Date.now();
      relayLog.warn(
        { event: 'notification.email.waiting', ...fields },
        'notification emails wait for the mail server',
      );
    }
  }
}

/**
 * What is kept of a failure: the error's code and the SMTP reply code, never its message (an
 * SMTP server's reply may repeat the recipient's address).
 */
function failureReason(error: unknown): string {
  if (error instanceof KeycloakUnavailableError) {
    return 'keycloak-unavailable';
  }
  const { code, responseCode } = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  const parts = [
    typeof code === 'string' ? code : 'error',
    ...(typeof responseCode === 'number' ? [`smtp ${responseCode}`] : []),
  ];
  return parts.join(' ');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
