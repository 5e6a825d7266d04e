import { KeycloakUnavailableError } from '@app/keycloak';
import { describe, expect, it } from 'vitest';
import type { DeliveryOutcome, EmailWork } from './email-delivery.ts';
import type { OutboxEmail, OutboxStore } from './email-outbox.repository.ts';
import {
  EmailOutboxRelay,
  retryPlan,
  transientMailFailure,
  type EmailOutboxOptions,
} from './email-outbox.relay.ts';

interface StoredEmail extends OutboxEmail {
  attempts: number;
  failures: number;
  status: 'pending' | 'parked';
  due: boolean;
  delays: number[];
  lastError?: string;
}

/** The outbox table in memory: a claim takes due, pending emails, as the repository's does. */
class MemoryOutbox implements OutboxStore {
  readonly emails: StoredEmail[] = [];

  add(): StoredEmail {
    const email: StoredEmail = {
      id: String(this.emails.length + 1),
      notificationId: String(100 + this.emails.length),
      attempts: 0,
      failures: 0,
      status: 'pending',
      due: true,
      delays: [],
    };
    this.emails.push(email);
    return email;
  }

  /** Time passes: every waiting email is due. */
  advance(): void {
    for (const email of this.emails) {
      email.due = true;
    }
  }

  claimDue(limit: number): Promise<OutboxEmail[]> {
    const due = this.emails.filter((email) => email.status === 'pending' && email.due);
    for (const email of due) {
      email.due = false;
    }
    return Promise.resolve(due.slice(0, limit).map((email) => ({ ...email })));
  }

  complete(email: OutboxEmail): Promise<void> {
    const at = this.emails.findIndex((stored) => stored.id === email.id);
    this.emails.splice(at, 1);
    return Promise.resolve();
  }

  reschedule(
    email: OutboxEmail,
    change: { attempts: number; failures: number; delayMs: number; error: string; park: boolean },
  ): Promise<void> {
    const stored = this.emails.find((candidate) => candidate.id === email.id);
    if (stored !== undefined) {
      stored.attempts = change.attempts;
      stored.failures = change.failures;
      stored.status = change.park ? 'parked' : 'pending';
      stored.delays.push(change.delayMs);
      stored.lastError = change.error;
    }
    return Promise.resolve();
  }
}

/** A mail server that answers with the errors given, one per attempt, then accepts. */
class ScriptedWork implements EmailWork {
  delivered = 0;
  constructor(private readonly failures: unknown[] = []) {}

  deliver(): Promise<DeliveryOutcome> {
    const failure = this.failures.shift();
    if (failure !== undefined) {
      return Promise.reject(failure);
    }
    this.delivered += 1;
    return Promise.resolve('sent');
  }
}

const OPTIONS: EmailOutboxOptions = {
  enabled: false,
  pollIntervalMs: 1_000,
  maxAttempts: 3,
  maxBackoffMs: 8_000,
};

/** What nodemailer throws: a connection refused, or an SMTP reply. */
const refusedConnection = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1025'), {
  code: 'ESOCKET',
});
const mailboxUnavailable = Object.assign(new Error('550 5.1.1 <bob@photoz.test>: no such user'), {
  code: 'EENVELOPE',
  responseCode: 550,
});
const tryLater = Object.assign(new Error('451 4.3.0 try later'), {
  code: 'EMESSAGE',
  responseCode: 451,
});

async function drain(relay: EmailOutboxRelay, outbox: MemoryOutbox, rounds: number) {
  for (let round = 0; round < rounds; round += 1) {
    await relay.processBatch();
    outbox.advance();
  }
}

describe('the email outbox backoff', () => {
  const middle = () => 0.5;

  it('doubles the wait from one second with every failure, up to the bound', () => {
    let email = { attempts: 0, failures: 0 };
    const delays: number[] = [];
    for (let failure = 0; failure < 6; failure += 1) {
      const plan = retryPlan(email, true, OPTIONS, middle);
      delays.push(plan.delayMs);
      email = plan;
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  });

  it('spreads the waits of emails that failed together (jitter of ±20 %)', () => {
    expect(retryPlan({ attempts: 0, failures: 2 }, true, OPTIONS, () => 0).delayMs).toBeCloseTo(
      3_200,
    );
    expect(retryPlan({ attempts: 0, failures: 2 }, true, OPTIONS, () => 1).delayMs).toBeCloseTo(
      4_800,
    );
  });

  it('counts only refusals towards parking, and parks at the bound', () => {
    expect(retryPlan({ attempts: 0, failures: 9 }, true, OPTIONS)).toMatchObject({
      attempts: 0,
      park: false,
    });
    expect(retryPlan({ attempts: 1, failures: 1 }, false, OPTIONS)).toMatchObject({
      attempts: 2,
      park: false,
    });
    expect(retryPlan({ attempts: 2, failures: 7 }, false, OPTIONS)).toMatchObject({
      attempts: 3,
      park: true,
    });
  });

  it('tells a mail server out of reach or saying "later" from a refusal', () => {
    expect(transientMailFailure(refusedConnection)).toBe(true);
    expect(transientMailFailure(tryLater)).toBe(true);
    expect(transientMailFailure(new KeycloakUnavailableError('get user', new Error('down')))).toBe(
      true,
    );
    expect(transientMailFailure(mailboxUnavailable)).toBe(false);
  });
});

describe('the email outbox relay', () => {
  it('sends a due email once and takes it off the outbox', async () => {
    const outbox = new MemoryOutbox();
    outbox.add();
    const work = new ScriptedWork();
    const relay = new EmailOutboxRelay(outbox, work, OPTIONS);
    await drain(relay, outbox, 3);
    expect(work.delivered).toBe(1);
    expect(outbox.emails).toEqual([]);
  });

  it('keeps an email through an outage, waiting longer each time, then sends it once', async () => {
    const outbox = new MemoryOutbox();
    const email = outbox.add();
    const work = new ScriptedWork(Array.from({ length: 6 }, () => refusedConnection));
    const relay = new EmailOutboxRelay(outbox, work, OPTIONS);
    await drain(relay, outbox, 6);
    expect(email).toMatchObject({ status: 'pending', attempts: 0, failures: 6 });
    expect(email.delays).toHaveLength(6);
    expect(email.delays[5]).toBeGreaterThan(email.delays[0] ?? Number.POSITIVE_INFINITY);
    // The reason kept names the error's code, never its message (which may quote the address).
    expect(email.lastError).toBe('ESOCKET');
    await drain(relay, outbox, 3);
    expect(work.delivered).toBe(1);
    expect(outbox.emails).toEqual([]);
  });

  it('parks an email the mail server refuses maxAttempts times, and sends nothing more', async () => {
    const outbox = new MemoryOutbox();
    const email = outbox.add();
    const work = new ScriptedWork(Array.from({ length: 5 }, () => mailboxUnavailable));
    const relay = new EmailOutboxRelay(outbox, work, OPTIONS);
    await drain(relay, outbox, 6);
    expect(email).toMatchObject({ status: 'parked', attempts: 3, failures: 3 });
    expect(email.lastError).toBe('EENVELOPE smtp 550');
    expect(email.lastError).not.toContain('bob@');
    expect(work.delivered).toBe(0);
  });
});
