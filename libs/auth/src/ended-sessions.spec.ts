import { describe, expect, it } from 'vitest';
import { recordedEndFromPayload } from './ended-session.repository.ts';
import { EndedSessionSet } from './ended-sessions.ts';

const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;

function token(overrides: { subject?: string; sessionId?: string; issuedAt?: number } = {}) {
  return { subject: 'user-1', sessionId: 'session-1', issuedAt: NOW - 10, ...overrides };
}

describe(EndedSessionSet.name, () => {
  const ended = (now = () => NOW_MS) => {
    const set = new EndedSessionSet(now);
    set.add({ kind: 'session', id: 'session-1', endedAt: NOW, expiresAtMs: NOW_MS + 305_000 });
    return set;
  };

  it('refuses a token of an ended session', () => {
    expect(ended().refuses(token())).toBe(true);
  });

  it("accepts a token of the same user's other session", () => {
    expect(ended().refuses(token({ sessionId: 'session-2' }))).toBe(false);
  });

  it('accepts a token issued after the end (an offline session keeps its id)', () => {
    expect(ended().refuses(token({ issuedAt: NOW + 1 }))).toBe(false);
  });

  it('accepts a token without a session', () => {
    const { sessionId: _none, ...withoutSession } = token();
    expect(ended().refuses(withoutSession)).toBe(false);
  });

  it('refuses every token of a subject whose sessions all ended, issued up to the end', () => {
    const set = new EndedSessionSet(() => NOW_MS);
    set.add({ kind: 'subject', id: 'user-1', endedAt: NOW, expiresAtMs: NOW_MS + 305_000 });
    expect(set.refuses(token({ sessionId: 'session-9' }))).toBe(true);
    expect(set.refuses(token({ issuedAt: NOW + 1 }))).toBe(false);
    expect(set.refuses(token({ subject: 'user-2' }))).toBe(false);
  });

  it('keeps the later end when an end is added again', () => {
    const set = ended();
    set.add({ kind: 'session', id: 'session-1', endedAt: NOW - 100, expiresAtMs: NOW_MS });
    expect(set.refuses(token({ issuedAt: NOW }))).toBe(true);
  });

  it('ignores an end whose tokens have all expired', () => {
    const set = new EndedSessionSet(() => NOW_MS);
    set.add({ kind: 'session', id: 'session-1', endedAt: NOW - 400, expiresAtMs: NOW_MS - 1 });
    expect(set.size).toBe(0);
  });

  it('drops an end once every token it refuses has expired', () => {
    let now = NOW_MS;
    const set = ended(() => now);
    now += 305_000;
    set.prune();
    expect(set.size).toBe(0);
  });
});

describe(recordedEndFromPayload.name, () => {
  it('reads the row a notification carries', () => {
    expect(
      recordedEndFromPayload(
        JSON.stringify({ kind: 'session', id: 's', ended_at: 10, expires_at_ms: 315_000 }),
      ),
    ).toEqual({ kind: 'session', id: 's', endedAt: 10, expiresAtMs: 315_000 });
  });

  it.each([
    undefined,
    '',
    'null',
    '[]',
    '{"kind":"other","id":"s","ended_at":1,"expires_at_ms":2}',
    '{"kind":"session","id":"s"}',
  ])('ignores %s', (payload) => {
    expect(recordedEndFromPayload(payload)).toBeUndefined();
  });
});
