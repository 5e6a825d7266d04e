import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { PERMISSION_SERVICE_SCHEMA } from '../apps/permission-service/src/database/schema.ts';
import { NotificationStreams } from '../apps/permission-service/src/notifications/notification-streams.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { MailInbox } from '../scripts/lib/mail-inbox.ts';
import { EndedSessions } from '@app/auth';
import { accessTokens, decodeJwt, login } from '../scripts/dev-realm/tokens.ts';
import { type Album, createAlbum, registeredResourceId } from './support/albums.ts';
import { openEventStream, type OpenEventStream } from './support/event-stream.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { TEST_DATABASE_URL } from './setup/test-env.ts';

interface Notification {
  readonly id: string;
  readonly kind: string;
  readonly albumId: string;
  readonly albumName: string;
  readonly actorUsername: string;
  readonly scopes: string[];
  readonly message: string | null;
  readonly createdAt: string;
  readonly readAt: string | null;
}
interface NotificationPage {
  readonly items: Notification[];
  readonly nextCursor: string | null;
  readonly unread: number;
}
/** The relay polls every 100 ms; a loaded machine (other suites beside) may take seconds. */
const MAIL_WAIT = { timeout: 15_000 } as const;

interface OutboxStatus {
  readonly pending: number;
  readonly parked: number;
}

/*
 * Notifications on the real stack: Keycloak, PostgreSQL, two permission-service instances (a
 * stream on one hears what the other commits) and a real SMTP server, which the suite stops and
 * starts again to see the outbox hold an email and deliver it once.
 */
describe('notifications', () => {
  const inbox = new MailInbox();
  const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
  let albums: RunningService;
  let first: RunningService;
  let second: RunningService;
  let alice: string;
  let jdoe: string;
  let bob: string;
  let admin: string;

  beforeAll(async () => {
    await inbox.start(0);
    await db.connect();
    const env = {
      SMTP_URL: inbox.smtpUrl,
      EMAIL_OUTBOX_POLL_INTERVAL_MS: '100',
      EMAIL_OUTBOX_MAX_BACKOFF_MS: '500',
      NOTIFICATION_STREAM_HEARTBEAT_MS: '1000',
      NOTIFICATION_STREAMS_PER_USER: '3',
      // Answers to requests are not repeated from memory: each request here asks Keycloak.
      PERMISSION_REQUEST_REPEAT_SECONDS: '0',
    };
    [albums, first, second] = await Promise.all([
      startService(albumService),
      startService(permissionService, env),
      startService(permissionService, env),
    ]);
    await Promise.all(
      [first, second].map((service) => service.app.get(NotificationStreams).ready()),
    );
    [alice = '', jdoe = '', bob = '', admin = ''] = await accessTokens(
      'alice',
      'jdoe',
      'bob',
      'admin',
    );
    // Email on for everyone here, whatever other suites of the run (the fuzzer) set.
    for (const token of [alice, jdoe, bob]) {
      await call(first.url, 'PUT', '/notifications/settings', { token, body: { email: true } });
    }
  });
  afterAll(async () => {
    await Promise.all([albums?.close(), first?.close(), second?.close()]);
    await inbox.close();
    await db.end();
  });

  async function album(prefix: string): Promise<Album> {
    const created = await createAlbum(
      albums.url,
      alice,
      `${prefix} ${randomBytes(4).toString('hex')}`,
    );
    await registeredResourceId(albums.url, alice, created.id);
    return created;
  }

  async function list(token: string, service = first): Promise<NotificationPage> {
    const response = await call<NotificationPage>(service.url, 'GET', '/notifications?limit=100', {
      token,
    });
    expect(response.status).toBe(200);
    return response.body;
  }

  async function about(token: string, albumId: string): Promise<Notification[]> {
    return (await list(token)).items.filter((item) => item.albumId === albumId);
  }

  async function stream(token: string, service = second): Promise<OpenEventStream> {
    const opened = await openEventStream(`${service.url}/notifications/stream`, {
      authorization: `Bearer ${token}`,
      // The web app reads it from its own origin.
      origin: 'http://localhost:5173',
    });
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(opened.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(opened.headers.get('cache-control')).toBe('no-store');
    await expect.poll(() => opened.events[0]?.event).toBe('unread');
    return opened;
  }

  async function request(token: string, albumId: string, message?: string): Promise<string> {
    const response = await call<{ id: string; status: string }>(
      first.url,
      'POST',
      '/permission-requests',
      { token, body: { albumId, scopes: ['album:view'], message } },
    );
    expect(response.status).toBe(202);
    expect(response.body.status).toBe('pending');
    return response.body.id;
  }

  async function share(albumId: string, username: string): Promise<void> {
    const response = await call(first.url, 'PUT', `/albums/${albumId}/shares/${username}`, {
      token: alice,
      body: { scopes: ['album:view'] },
    });
    expect(response.status).toBe(200);
  }

  function mailsAbout(albumName: string, to: string) {
    return inbox.messages.filter(
      (mail) => mail.to.includes(to) && mail.subject.includes(`"${albumName}"`),
    );
  }

  async function outbox(): Promise<OutboxStatus> {
    const response = await call<OutboxStatus>(first.url, 'GET', '/admin/notifications/emails', {
      token: admin,
    });
    expect(response.status).toBe(200);
    return response.body;
  }

  async function notificationCount(): Promise<number> {
    const result = await db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM ${PERMISSION_SERVICE_SCHEMA}.notifications`,
    );
    return result.rows[0]?.count ?? 0;
  }

  it("tells alice of jdoe's request in her list and, live, on her stream on another instance", async () => {
    const target = await album('Requested');
    const aliceStream = await stream(alice, second);
    const before = (await list(alice)).unread;
    try {
      await request(jdoe, target.id, 'For the family\nalbum, please');
      const [told] = await about(alice, target.id);
      expect(told).toMatchObject({
        kind: 'request-received',
        albumName: target.name,
        actorUsername: 'jdoe',
        scopes: ['album:view'],
        message: 'For the family\nalbum, please',
        readAt: null,
      });
      expect((await list(alice)).unread).toBe(before + 1);
      await expect
        .poll(() =>
          aliceStream.events.some(
            (event) =>
              event.event === 'notification' && (event.data as Notification).albumId === target.id,
          ),
        )
        .toBe(true);
      const at = aliceStream.events.findIndex(
        (event) =>
          event.event === 'notification' && (event.data as Notification).albumId === target.id,
      );
      await expect
        .poll(() => aliceStream.events[at + 1])
        .toEqual({
          event: 'unread',
          data: { unread: before + 1 },
        });
      expect(aliceStream.events[at]?.data).toEqual(told);
      // The owner is told by email too, once.
      await expect
        .poll(() => mailsAbout(target.name, 'alice@photoz.test').length, MAIL_WAIT)
        .toBe(1);
      expect(mailsAbout(target.name, 'alice@photoz.test')[0]?.text).toContain(
        'For the family\nalbum, please',
      );
    } finally {
      aliceStream.close();
    }
  });

  it('tells jdoe of an approval and of a denial, by email exactly once each', async () => {
    const approved = await album('Approved');
    const denied = await album('Denied');
    const approveId = await request(jdoe, approved.id);
    const denyId = await request(jdoe, denied.id);
    expect(
      (
        await call(first.url, 'POST', `/permission-requests/${approveId}/approve`, {
          token: alice,
          body: {},
        })
      ).status,
    ).toBe(200);
    expect(
      (await call(first.url, 'POST', `/permission-requests/${denyId}/deny`, { token: alice }))
        .status,
    ).toBe(204);
    expect(await about(jdoe, approved.id)).toMatchObject([
      { kind: 'request-approved', actorUsername: 'alice', scopes: ['album:view'] },
    ]);
    expect(await about(jdoe, denied.id)).toMatchObject([
      { kind: 'request-denied', actorUsername: 'alice', scopes: ['album:view'] },
    ]);
    await expect.poll(async () => (await outbox()).pending, MAIL_WAIT).toBe(0);
    expect(mailsAbout(approved.name, 'jdoe@photoz.test')).toHaveLength(1);
    expect(mailsAbout(approved.name, 'jdoe@photoz.test')[0]?.subject).toMatch(/approved/);
    expect(mailsAbout(denied.name, 'jdoe@photoz.test')).toHaveLength(1);
    expect(mailsAbout(denied.name, 'jdoe@photoz.test')[0]?.subject).toMatch(/denied/);
  });

  it('tells bob of a direct share, in the app and by email once', async () => {
    const shared = await album('Shared');
    await share(shared.id, 'bob');
    expect(await about(bob, shared.id)).toMatchObject([
      { kind: 'album-shared', actorUsername: 'alice', albumName: shared.name },
    ]);
    await expect.poll(() => mailsAbout(shared.name, 'bob@photoz.test').length, MAIL_WAIT).toBe(1);
    // The same share again changes nothing, and tells nothing.
    await share(shared.id, 'bob');
    expect(await about(bob, shared.id)).toHaveLength(1);
    await expect.poll(async () => (await outbox()).pending, MAIL_WAIT).toBe(0);
    expect(mailsAbout(shared.name, 'bob@photoz.test')).toHaveLength(1);
  });

  it('tells alice when jdoe redeems an invitation link to her album', async () => {
    const invited = await album('Invited');
    const link = await call<{ token: string }>(first.url, 'POST', `/albums/${invited.id}/links`, {
      token: alice,
      body: { scopes: ['album:view'] },
    });
    expect(link.status).toBe(201);
    const redeemed = await call(first.url, 'POST', '/links/redeem', {
      token: jdoe,
      body: { token: link.body.token },
    });
    expect(redeemed.status).toBe(200);
    expect(await about(alice, invited.id)).toMatchObject([
      { kind: 'link-redeemed', actorUsername: 'jdoe', scopes: ['album:view'] },
    ]);
    await expect
      .poll(() => mailsAbout(invited.name, 'alice@photoz.test').length, MAIL_WAIT)
      .toBe(1);
    // Redeemed again, it changes nothing, and tells nothing.
    await call(first.url, 'POST', '/links/redeem', {
      token: jdoe,
      body: { token: link.body.token },
    });
    expect(await about(alice, invited.id)).toHaveLength(1);
  });

  it('marks notifications read: some by id, then all', async () => {
    const shared = await album('Read');
    await share(shared.id, 'bob');
    const [told] = await about(bob, shared.id);
    expect(
      (
        await call(first.url, 'POST', '/notifications/read', {
          token: bob,
          body: { ids: [told?.id] },
        })
      ).status,
    ).toBe(204);
    expect((await about(bob, shared.id))[0]?.readAt).not.toBeNull();
    expect(
      (await call(first.url, 'POST', '/notifications/read', { token: bob, body: { all: true } }))
        .status,
    ).toBe(204);
    expect((await list(bob)).unread).toBe(0);
    expect(
      (await call(first.url, 'POST', '/notifications/read', { token: bob, body: {} })).status,
    ).toBe(400);
  });

  it('holds an email while the mail server is down and delivers it once when it is back', async () => {
    await inbox.stop();
    const shared = await album('Outage');
    try {
      await share(shared.id, 'bob');
      // The in-app channel does not wait for the mail server.
      expect(await about(bob, shared.id)).toHaveLength(1);
      await expect.poll(async () => (await outbox()).pending).toBeGreaterThan(0);
      const waiting = await db.query<{ failures: number }>(
        `SELECT e.failures FROM ${PERMISSION_SERVICE_SCHEMA}.notification_emails e
           JOIN ${PERMISSION_SERVICE_SCHEMA}.notifications n ON n.id = e.notification_id
          WHERE n.album_id = $1`,
        [shared.id],
      );
      expect(waiting.rows).toHaveLength(1);
      // Tried and failed at least once while the server was down.
      await expect
        .poll(
          async () =>
            (
              await db.query<{ failures: number }>(
                `SELECT e.failures FROM ${PERMISSION_SERVICE_SCHEMA}.notification_emails e
                 JOIN ${PERMISSION_SERVICE_SCHEMA}.notifications n ON n.id = e.notification_id
                WHERE n.album_id = $1`,
                [shared.id],
              )
            ).rows[0]?.failures ?? 0,
          MAIL_WAIT,
        )
        .toBeGreaterThan(0);
      expect(mailsAbout(shared.name, 'bob@photoz.test')).toHaveLength(0);
    } finally {
      await inbox.start();
    }
    await expect.poll(() => mailsAbout(shared.name, 'bob@photoz.test').length, MAIL_WAIT).toBe(1);
    await expect.poll(async () => (await outbox()).pending, MAIL_WAIT).toBe(0);
    expect(mailsAbout(shared.name, 'bob@photoz.test')).toHaveLength(1);
  });

  it('writes no notification for a change that failed', async () => {
    const target = await album('Refused');
    const before = await notificationCount();
    // A scope the album does not have: refused before anything changes.
    expect(
      (
        await call(first.url, 'PUT', `/albums/${target.id}/shares/bob`, {
          token: alice,
          body: { scopes: ['album:nonsense'] },
        })
      ).status,
    ).toBe(400);
    // Nobody by that name.
    expect(
      (
        await call(
          first.url,
          'PUT',
          `/albums/${target.id}/shares/nobody-${randomBytes(4).toString('hex')}`,
          {
            token: alice,
            body: { scopes: ['album:view'] },
          },
        )
      ).status,
    ).toBe(404);
    // A ticket Keycloak refuses.
    expect(
      (
        await call(first.url, 'POST', '/permission-requests', {
          token: jdoe,
          body: { ticket: 'not-a-ticket' },
        })
      ).status,
    ).toBe(400);
    // Someone else's album to share: refused.
    expect(
      (
        await call(first.url, 'PUT', `/albums/${target.id}/shares/alice`, {
          token: bob,
          body: { scopes: ['album:view'] },
        })
      ).status,
    ).toBe(404);
    expect(await notificationCount()).toBe(before);
    expect(await about(bob, target.id)).toEqual([]);
  });

  it('writes neither the notification, its email nor the audit event when the change rolls back', async () => {
    const doomed = await album('Rollback');
    const audit = async () =>
      (
        await call<{ items: { action: string }[] }>(
          first.url,
          'GET',
          `/albums/${doomed.id}/audit`,
          {
            token: alice,
          },
        )
      ).body.items;
    // A fault in the change's last transaction: PostgreSQL refuses the notification of this album.
    const fault = `notifications_fault_${randomBytes(4).toString('hex')}`;
    await db.query(`
      CREATE FUNCTION ${PERMISSION_SERVICE_SCHEMA}.${fault}() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`);
    await db.query(`
      CREATE TRIGGER ${fault} BEFORE INSERT ON ${PERMISSION_SERVICE_SCHEMA}.notifications
        FOR EACH ROW WHEN (NEW.album_id = '${doomed.id}')
        EXECUTE FUNCTION ${PERMISSION_SERVICE_SCHEMA}.${fault}()`);
    const before = await notificationCount();
    try {
      const response = await call(first.url, 'PUT', `/albums/${doomed.id}/shares/bob`, {
        token: alice,
        body: { scopes: ['album:view'] },
      });
      expect(response.status).toBe(500);
    } finally {
      await db.query(
        `DROP TRIGGER ${fault} ON ${PERMISSION_SERVICE_SCHEMA}.notifications;
         DROP FUNCTION ${PERMISSION_SERVICE_SCHEMA}.${fault}()`,
      );
    }
    expect(await notificationCount()).toBe(before);
    expect(await audit()).toEqual([]);
    await expect.poll(async () => (await outbox()).pending, MAIL_WAIT).toBe(0);
    expect(inbox.messages.filter((mail) => mail.subject.includes(doomed.name))).toEqual([]);
  });

  it('honours an opt-out from email: in the app yes, by email no', async () => {
    const put = await call(first.url, 'PUT', '/notifications/settings', {
      token: bob,
      body: { email: false },
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ email: false });
    try {
      expect(
        (await call(second.url, 'GET', '/notifications/settings', { token: bob })).body,
      ).toEqual({ email: false });
      const quiet = await album('Quiet');
      await share(quiet.id, 'bob');
      expect(await about(bob, quiet.id)).toHaveLength(1);
      // The relay has taken the email off the outbox without sending it.
      await expect.poll(async () => (await outbox()).pending, MAIL_WAIT).toBe(0);
      expect(mailsAbout(quiet.name, 'bob@photoz.test')).toHaveLength(0);
    } finally {
      await call(first.url, 'PUT', '/notifications/settings', {
        token: bob,
        body: { email: true },
      });
    }
    expect((await call(first.url, 'GET', '/notifications/settings', { token: bob })).body).toEqual({
      email: true,
    });
    expect(
      (
        await call(first.url, 'PUT', '/notifications/settings', {
          token: bob,
          body: { email: 'no' },
        })
      ).status,
    ).toBe(400);
  });

  it('refuses a stream without a token, and a token in the query string', async () => {
    const bare = await fetch(`${second.url}/notifications/stream`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toMatch(/^Bearer realm="photoz"/);
    await bare.body?.cancel();
    const inQuery = await fetch(
      `${second.url}/notifications/stream?access_token=${encodeURIComponent(alice)}`,
    );
    expect(inQuery.status).toBe(401);
    await inQuery.body?.cancel();
    // Beside a valid header too: a client putting a token in a URL learns at once.
    const both = await fetch(
      `${second.url}/notifications/stream?access_token=${encodeURIComponent(alice)}`,
      { headers: { authorization: `Bearer ${alice}` } },
    );
    expect(both.status).toBe(400);
    expect(await both.text()).not.toContain(alice);
    // HEAD answers the stream's headers and ends.
    const head = await fetch(`${second.url}/notifications/stream`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^text\/event-stream/);
  });

  it("never lists or streams someone else's notifications", async () => {
    const target = await album('Private');
    const bobStream = await stream(bob, second);
    const aliceStream = await stream(alice, first);
    try {
      await request(jdoe, target.id);
      await expect
        .poll(() =>
          aliceStream.events.some(
            (event) =>
              event.event === 'notification' && (event.data as Notification).albumId === target.id,
          ),
        )
        .toBe(true);
      const [told] = await about(alice, target.id);
      expect(await about(bob, target.id)).toEqual([]);
      expect(await about(jdoe, target.id)).toEqual([]);
      // bob cannot mark alice's notification read either.
      await call(first.url, 'POST', '/notifications/read', {
        token: bob,
        body: { ids: [told?.id] },
      });
      expect((await about(alice, target.id))[0]?.readAt).toBeNull();
      // A heartbeat on bob's stream after the notification was committed: it would have come first.
      const heartbeats = bobStream.comments();
      await expect.poll(() => bobStream.comments(), { timeout: 5_000 }).toBeGreaterThan(heartbeats);
      expect(bobStream.events.filter((event) => event.event === 'notification')).toEqual([]);
    } finally {
      bobStream.close();
      aliceStream.close();
    }
  });

  it('bounds the streams one user holds on an instance', async () => {
    const open = [await stream(jdoe), await stream(jdoe), await stream(jdoe)];
    try {
      const refused = await fetch(`${second.url}/notifications/stream`, {
        headers: { authorization: `Bearer ${jdoe}` },
      });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(await refused.json()).toMatchObject({ type: 'urn:photoz:problem:too-many-streams' });
      // Another instance counts its own.
      const elsewhere = await stream(jdoe, first);
      elsewhere.close();
    } finally {
      for (const opened of open) {
        opened.close();
      }
    }
    // A closed stream frees its place.
    await expect
      .poll(async () => {
        const again = await fetch(`${second.url}/notifications/stream`, {
          headers: { authorization: `Bearer ${jdoe}` },
        });
        await again.body?.cancel();
        return again.status;
      })
      .toBe(200);
  });

  it('ends a stream when its session ends at Keycloak, on every instance', async () => {
    const { access_token: token } = await login('jdoe');
    const sessionId = decodeJwt(token).payload['sid'];
    expect(typeof sessionId).toBe('string');
    const opened = await stream(token, second);
    // What the back-channel logout records on the instance Keycloak calls: here, the other one.
    await first.app.get(EndedSessions).end({
      kind: 'session',
      id: String(sessionId),
      endedAt: Math.floor(Date.now() / 1000) + 1,
    });
    await opened.ended;
    const again = await fetch(`${second.url}/notifications/stream`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(again.status).toBe(401);
    await again.body?.cancel();
  });

  it('logs no address, subject or body of the emails it sent', () => {
    const lines = readFileSync(process.env['LOG_FILE'] ?? '', 'utf8');
    expect(inbox.messages.length).toBeGreaterThan(0);
    for (const mail of inbox.messages) {
      for (const address of mail.to) {
        expect(lines).not.toContain(address);
      }
      expect(lines).not.toContain(mail.subject);
    }
    expect(lines).toContain('"event":"notification.email.sent"');
  });
});
