import { describe, expect, it } from 'vitest';
import { RptStore } from './rpt-store.ts';

/** An unsigned RPT listing the permissions, expiring at `exp` (seconds). */
function rpt(exp: number, ...permissions: [string, ...string[]][]): string {
  const payload = {
    exp,
    authorization: { permissions: permissions.map(([rsid, ...scopes]) => ({ rsid, scopes })) },
  };
  return `e30.${btoa(JSON.stringify(payload)).replaceAll('=', '')}.sig`;
}

function store(maxUrls?: number): { rpts: RptStore; clock: { seconds: number } } {
  const clock = { seconds: 1000 };
  const rpts = new RptStore({ now: () => clock.seconds * 1000, skewMs: 10_000 }, maxUrls);
  return { rpts, clock };
}

const ALBUM_A = new URL('http://api.test/albums/a');

describe('RptStore', () => {
  it('hands an RPT out only for a URL a challenge tied to one of its resources', () => {
    const { rpts } = store();
    const { rpt: held } = rpts.hold(rpt(2000, ['res-a', 'album:view']));

    expect(rpts.forUrl(ALBUM_A)).toBeUndefined();
    rpts.remember(ALBUM_A, 'res-a');

    expect(rpts.forUrl(new URL('http://api.test/albums/a?page=2'))).toBe(held);
    expect(rpts.forUrl(new URL('http://other.test/albums/a'))).toBeUndefined();
    expect(rpts.forUrl(new URL('http://api.test/albums/a/photos'))).toBeUndefined();
  });

  it('covers a ticket only when the RPT lists every scope it asks for', () => {
    const { rpts } = store();
    rpts.hold(rpt(2000, ['res-a', 'album:view']));

    expect(rpts.covering({ rsid: 'res-a', scopes: ['album:view'] })).toBeDefined();
    expect(rpts.covering({ rsid: 'res-a', scopes: ['album:view', 'album:delete'] })).toBe(
      undefined,
    );
    expect(rpts.covering({ rsid: 'res-b', scopes: [] })).toBeUndefined();
  });

  it('upgrades: a new RPT takes the place of the old one for every resource it lists', () => {
    const { rpts } = store();
    rpts.hold(rpt(2000, ['res-a', 'album:view']));

    const { rpt: upgraded, newResources } = rpts.hold(
      rpt(2000, ['res-a', 'album:view'], ['res-b', 'album:view']),
    );

    expect(newResources).toEqual(['res-b']);
    expect(rpts.tokenFor('res-a')).toBe(upgraded.token);
    expect(rpts.tokenFor('res-b')).toBe(upgraded.token);
    expect(rpts.latest()).toBe(upgraded);
  });

  it('drops an RPT within the skew of its expiry when it is looked up', () => {
    const { rpts, clock } = store();
    const token = rpt(1100, ['res-a', 'album:view']);
    rpts.hold(token);
    rpts.remember(ALBUM_A, 'res-a');
    clock.seconds = 1089;
    expect(rpts.forUrl(ALBUM_A)?.token).toBe(token);

    clock.seconds = 1090;

    expect(rpts.forUrl(ALBUM_A)).toBeUndefined();
    expect(rpts.latest()).toBeUndefined();
    expect(rpts.permissions()).toEqual(new Map());
  });

  it('sweeps expired RPTs when a new one arrives, so a resource nobody asks for again goes too', () => {
    const { rpts, clock } = store();
    rpts.hold(rpt(1100, ['res-a', 'album:view']));
    clock.seconds = 1200;

    const { newResources } = rpts.hold(rpt(2000, ['res-b', 'album:view']));
    clock.seconds = 1000; // even a clock set back finds no trace of the expired RPT

    expect(newResources).toEqual(['res-b']);
    expect(rpts.tokenFor('res-a')).toBeUndefined();
  });

  it('drop forgets the RPT for all its resources', () => {
    const { rpts } = store();
    const { rpt: held } = rpts.hold(rpt(2000, ['res-a', 'album:view'], ['res-b', 'album:view']));

    rpts.drop(held);

    expect(rpts.permissions()).toEqual(new Map());
    expect(rpts.latest()).toBeUndefined();
  });

  it('remembers at most maxUrls URLs, forgetting the least recently used', () => {
    const { rpts } = store(2);
    rpts.hold(rpt(2000, ['res-a', 'album:view']));
    const photo = (n: number): URL => new URL(`http://api.test/albums/a/photos/p${n}/content`);
    rpts.remember(photo(1), 'res-a');
    rpts.remember(photo(2), 'res-a');
    expect(rpts.forUrl(photo(1))).toBeDefined(); // used again: photo 2 is now the oldest

    rpts.remember(photo(3), 'res-a');

    expect(rpts.urlCount).toBe(2);
    expect(rpts.forUrl(photo(2))).toBeUndefined();
    expect(rpts.forUrl(photo(1))).toBeDefined();
    expect(rpts.forUrl(photo(3))).toBeDefined();
  });

  it('clear forgets everything', () => {
    const { rpts } = store();
    rpts.hold(rpt(2000, ['res-a', 'album:view']));
    rpts.remember(ALBUM_A, 'res-a');

    rpts.clear();

    expect(rpts.forUrl(ALBUM_A)).toBeUndefined();
    expect(rpts.urlCount).toBe(0);
    expect(rpts.latest()).toBeUndefined();
  });
});
