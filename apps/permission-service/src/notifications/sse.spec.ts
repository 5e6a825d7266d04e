import { describe, expect, it } from 'vitest';
import { sseComment, sseEvent } from './sse.ts';

/** What a conforming client reads from a stream: each event's name, data and id. */
function parse(stream: string): { event: string; data: string; id?: string }[] {
  return stream
    .split('\n\n')
    .filter((block) => block !== '')
    .flatMap((block) => {
      const fields = block.split('\n').filter((line) => !line.startsWith(':'));
      if (fields.length === 0) {
        return [];
      }
      const value = (name: string) =>
        fields
          .filter((line) => line.startsWith(`${name}: `))
          .map((line) => line.slice(name.length + 2));
      const id = value('id')[0];
      return [
        {
          event: value('event')[0] ?? 'message',
          data: value('data').join('\n'),
          ...(id === undefined ? {} : { id }),
        },
      ];
    });
}

describe('server-sent events framing', () => {
  it('writes an event as its name, its JSON data and a blank line', () => {
    expect(sseEvent('unread', { unread: 3 })).toBe('event: unread\ndata: {"unread":3}\n\n');
  });

  it('writes the id first when given', () => {
    expect(sseEvent('notification', { a: 1 }, '42')).toBe(
      'id: 42\nevent: notification\ndata: {"a":1}\n\n',
    );
  });

  it('keeps data with line breaks inside one event, whatever the breaks', () => {
    const data = { message: 'one\ntwo\r\nevent: forged\rdata: x\n\nid: 1' };
    const events = parse(sseEvent('notification', data));
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]?.data ?? '')).toEqual(data);
  });

  it('refuses an event name or an id that would end its field', () => {
    expect(() => sseEvent('unread\nevent: x', {})).toThrow('an event name is');
    expect(() => sseEvent('', {})).toThrow('an event name is');
    expect(() => sseEvent('ok', {}, '1\n2')).toThrow('an event id holds no line break');
  });

  it('writes a comment on one line, which a client ignores', () => {
    const comment = sseComment('ping\nevent: forged');
    expect(comment).toBe(': ping event: forged\n\n');
    expect(parse(comment + sseEvent('unread', { unread: 0 }))).toEqual([
      { event: 'unread', data: '{"unread":0}' },
    ]);
  });
});
