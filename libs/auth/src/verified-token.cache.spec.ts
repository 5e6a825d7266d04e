import { describe, expect, it } from 'vitest';
import type { Principal } from './principal.ts';
import { VerifiedTokenCache } from './verified-token.cache.ts';

const NOW = 1_800_000_000_000;

function principal(subject: string, expiresAt = NOW / 1000 + 300): Principal {
  return {
    subject,
    username: subject,
    clientId: 'photoz-web',
    partner: false,
    realmRoles: [],
    permissions: undefined,
    issuedAt: NOW / 1000,
    expiresAt,
  };
}

describe('VerifiedTokenCache', () => {
  const trusted = (): boolean => true;

  it('answers for a verified token until its exp, then forgets it', () => {
    let now = NOW;
    const cache = new VerifiedTokenCache(10, () => now);
    cache.set('token-a', principal('alice'), 'kid-1');
    expect(cache.get('token-a', trusted)?.subject).toBe('alice');
    now = NOW + 299_999;
    expect(cache.get('token-a', trusted)?.subject).toBe('alice');
    now = NOW + 300_000;
    expect(cache.get('token-a', trusted)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('knows nothing of tokens it was not given', () => {
    const cache = new VerifiedTokenCache(10, () => NOW);
    cache.set('token-a', principal('alice'), 'kid-1');
    expect(cache.get('token-b', trusted)).toBeUndefined();
    expect(cache.get('token-a ', trusted)).toBeUndefined();
  });

  it('stops answering once the realm no longer publishes the key that verified the token', () => {
    const cache = new VerifiedTokenCache(10, () => NOW);
    cache.set('token-a', principal('alice'), 'kid-1');
    cache.set('token-b', principal('bob'), 'kid-2');
    const published = (kid: string): boolean => kid === 'kid-2';
    expect(cache.get('token-a', published)).toBeUndefined();
    expect(cache.get('token-b', published)?.subject).toBe('bob');
    // Gone for good: the key coming back does not revive the entry without a new verification.
    expect(cache.get('token-a', trusted)).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the oldest first', () => {
    const cache = new VerifiedTokenCache(2, () => NOW);
    cache.set('token-a', principal('a'), 'kid');
    cache.set('token-b', principal('b'), 'kid');
    cache.set('token-c', principal('c'), 'kid');
    expect(cache.size).toBe(2);
    expect(cache.get('token-a', trusted)).toBeUndefined();
    expect(cache.get('token-b', trusted)?.subject).toBe('b');
    expect(cache.get('token-c', trusted)?.subject).toBe('c');
  });

  it('stores nothing when its size is 0, nor a token already expired', () => {
    const off = new VerifiedTokenCache(0, () => NOW);
    off.set('token-a', principal('alice'), 'kid');
    expect(off.get('token-a', trusted)).toBeUndefined();
    const cache = new VerifiedTokenCache(10, () => NOW);
    cache.set('token-old', principal('alice', NOW / 1000), 'kid');
    expect(cache.size).toBe(0);
  });
});
