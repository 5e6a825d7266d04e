import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import type { EndedSessions, Principal } from '@app/auth';
import { ProblemException } from '@app/common';
import type { NotificationRepository, NotificationRow } from './notification.repository.ts';
import {
  DEFAULT_NOTIFICATION_STREAM_OPTIONS,
  NotificationStreams,
} from './notification-streams.ts';

/** A response whose client reads nothing once `stalled`: what is written stays buffered. */
class FakeResponse extends EventEmitter {
  written = '';
  writableLength = 0;
  stalled = false;
  ended = false;
  destroyed = false;

  write(chunk: string): boolean {
    this.written += chunk;
    if (this.stalled) {
      this.writableLength += Buffer.byteLength(chunk);
    }
    return !this.stalled;
  }

  end(): void {
    this.ended = true;
    this.emit('close');
  }

  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

function principal(subject: string, overrides: Partial<Principal> = {}): Principal {
  return {
    subject,
    username: subject,
    clientId: 'photoz-web',
    partner: false,
    realmRoles: [],
    permissions: undefined,
    issuedAt: Math.floor(Date.now() / 1000),
    expiresAt: Math.floor(Date.now() / 1000) + 300,
    ...overrides,
  };
}

const ROW: NotificationRow = {
  id: '7',
  recipient_id: 'alice',
  kind: 'request-received',
  album_id: '00000000-0000-4000-8000-000000000001',
  album_name: 'Holidays',
  actor_username: 'jdoe',
  scopes: ['album:view'],
  message: null,
  created_at: new Date('2026-01-01T00:00:00.000Z'),
  read_at: null,
};

function hub(options: Partial<typeof DEFAULT_NOTIFICATION_STREAM_OPTIONS> = {}) {
  const ended = new Set<string>();
  const notifications = {
    one: (id: string, recipient: string) =>
      Promise.resolve(id === ROW.id && recipient === ROW.recipient_id ? ROW : undefined),
    unread: () => Promise.resolve(4),
  } as unknown as NotificationRepository;
  const sessions = {
    refuses: (caller: Principal) => ended.has(caller.subject),
  } as unknown as EndedSessions;
  const streams = new NotificationStreams(
    { ...DEFAULT_NOTIFICATION_STREAM_OPTIONS, ...options },
    notifications,
    sessions,
    {} as DataSource,
  );
  const open = async (caller: Principal) => {
    const response = new FakeResponse();
    streams.admit(caller);
    await streams.open(
      caller,
      response as unknown as ServerResponse,
      () => Promise.resolve(3),
      () => undefined,
    );
    return response;
  };
  return { streams, open, ended };
}

describe('the notification streams of an instance', () => {
  it('starts a stream with the unread count, and writes each notification to its recipient only', async () => {
    const { streams, open } = hub();
    const alice = await open(principal('alice'));
    const bob = await open(principal('bob'));
    expect(alice.written).toBe('event: unread\ndata: {"unread":3}\n\n');
    await streams.deliver('7', 'alice');
    expect(alice.written).toContain('id: 7\nevent: notification\ndata: {"id":"7"');
    expect(alice.written.endsWith('event: unread\ndata: {"unread":4}\n\n')).toBe(true);
    expect(bob.written).toBe('event: unread\ndata: {"unread":3}\n\n');
    // A payload naming bob with alice's notification reads nothing for him.
    await streams.deliver('7', 'bob');
    expect(bob.written).toBe('event: unread\ndata: {"unread":3}\n\n');
  });

  it('closes the stream of a client that stops reading, once its backlog passes the bound', async () => {
    const { streams, open } = hub({ maxBufferedBytes: 600 });
    const slow = await open(principal('alice'));
    const other = await open(principal('alice'));
    slow.stalled = true;
    for (let round = 0; round < 5 && !slow.destroyed; round += 1) {
      await streams.deliver('7', 'alice');
    }
    expect(slow.destroyed).toBe(true);
    expect(slow.writableLength).toBeLessThanOrEqual(600);
    expect(streams.size).toBe(1);
    // The reader that keeps up goes on.
    await streams.deliver('7', 'alice');
    expect(other.destroyed).toBe(false);
    expect(other.written.match(/event: notification/g)?.length).toBeGreaterThan(1);
  });

  it('ends a stream when its access token expires, and when its session ends', async () => {
    const { streams, open, ended } = hub();
    const expiring = await open(
      principal('alice', { expiresAt: Math.floor(Date.now() / 1000) - 1 }),
    );
    const loggedOut = await open(principal('bob'));
    const staying = await open(principal('jdoe'));
    ended.add('bob');
    streams.sweep();
    expect(expiring.ended).toBe(true);
    expect(loggedOut.ended).toBe(true);
    expect(staying.ended).toBe(false);
    expect(streams.size).toBe(1);
  });

  it('sends a heartbeat comment to a stream idle for the heartbeat interval', async () => {
    const { streams, open } = hub({ heartbeatMs: 0 });
    const idle = await open(principal('alice'));
    streams.sweep();
    expect(idle.written.endsWith(': heartbeat\n\n')).toBe(true);
  });

  it('refuses a stream past the bound per user and per instance with a 429', async () => {
    const { streams, open } = hub({ perUser: 2, perInstance: 3 });
    await open(principal('alice'));
    const second = await open(principal('alice'));
    expect(() => streams.admit(principal('alice'))).toThrow(ProblemException);
    await open(principal('bob'));
    expect(() => streams.admit(principal('jdoe'))).toThrow('This instance holds');
    // A stream that closes frees its place.
    second.emit('close');
    expect(() => streams.admit(principal('alice'))).not.toThrow();
  });

  it('writes a notification that arrives while the stream opens after its unread count', async () => {
    const { streams } = hub();
    const response = new FakeResponse();
    let begun = false;
    await streams.open(
      principal('alice'),
      response as unknown as ServerResponse,
      async () => {
        // Committed while the count is read: the stream is registered already.
        await streams.deliver('7', 'alice');
        return 4;
      },
      () => {
        begun = true;
      },
    );
    expect(begun).toBe(true);
    expect(response.written.startsWith('event: unread\ndata: {"unread":4}\n\nid: 7\n')).toBe(true);
  });

  it('leaves the answer to the route when the count cannot be read', async () => {
    const { streams } = hub();
    const response = new FakeResponse();
    let begun = false;
    await expect(
      streams.open(
        principal('alice'),
        response as unknown as ServerResponse,
        () => Promise.reject(new Error('database down')),
        () => {
          begun = true;
        },
      ),
    ).rejects.toThrow('database down');
    expect(begun).toBe(false);
    expect(response.written).toBe('');
    expect(streams.size).toBe(0);
  });
});
