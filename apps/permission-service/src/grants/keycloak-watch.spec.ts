import type { AdminEvent } from '@app/keycloak';
import { describe, expect, it } from 'vitest';
import { advance } from './keycloak-watch.ts';

const at = (id: string, time: number): AdminEvent => ({
  id,
  time,
  operationType: 'DELETE',
  resourceType: 'AUTHORIZATION_POLICY',
  resourcePath: '',
  representation: undefined,
});

describe(advance.name, () => {
  it('moves to the newest event and remembers the ids read at its time', () => {
    expect(advance({ time: 10, ids: ['a'] }, [at('b', 11), at('c', 12), at('d', 12)])).toEqual({
      time: 12,
      ids: ['c', 'd'],
    });
  });

  it('keeps the ids already read when the events are all at the same time', () => {
    expect(advance({ time: 10, ids: ['a'] }, [at('a', 10), at('b', 10)])).toEqual({
      time: 10,
      ids: ['a', 'b'],
    });
  });

  it('stays where it is without events', () => {
    expect(advance({ time: 10, ids: ['a'] }, [])).toEqual({ time: 10, ids: ['a'] });
  });
});
