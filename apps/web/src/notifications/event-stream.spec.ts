import { describe, expect, it } from 'vitest';
import { followEventStream, readEventStream, type StreamEvent } from './event-stream.ts';

/** A body that arrives in the given pieces. */
function body(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) {
        controller.enqueue(encoder.encode(chunk));
      }
      controller.close();
    },
  });
}

describe('readEventStream', () => {
  it('reads named events, joins data lines, skips comments, across chunk borders', async () => {
    const events: StreamEvent[] = [];
    await readEventStream(
      body(
        ': heartbeat\n\nevent: unr',
        'ead\ndata: {"unread":2}\n\n',
        'event: notification\r\ndata: {"a":\r\ndata: 1}\r\n\r\n',
        'data: plain\n\n',
      ),
      (event) => events.push(event),
    );
    expect(events).toEqual([
      { event: 'unread', data: '{"unread":2}' },
      { event: 'notification', data: '{"a":\n1}' },
      { event: 'message', data: 'plain' },
    ]);
  });
});

describe('followEventStream', () => {
  it('sends a fresh token on every connection and reconnects with a growing backoff', async () => {
    const controller = new AbortController();
    const sent: string[] = [];
    const waits: number[] = [];
    const events: string[] = [];
    let token = 0;
    const answers = [
      () => new Response(body('event: unread\ndata: {"unread":1}\n\n')),
      () => new Response('no', { status: 503 }),
      () => {
        throw new TypeError('network');
      },
      () => new Response(body('event: unread\ndata: {"unread":3}\n\n')),
    ];
    await followEventStream({
      url: 'https://permissions.example/notifications/stream',
      accessToken: () => Promise.resolve(`token-${++token}`),
      fetch: (_url, init) => {
        sent.push(new Headers(init?.headers).get('authorization') ?? '');
        const answer = answers.shift();
        if (answer === undefined) {
          controller.abort();
          return Promise.reject(new DOMException('aborted', 'AbortError'));
        }
        return Promise.resolve(answer());
      },
      onEvent: (event) => events.push(event.data),
      signal: controller.signal,
      backoff: (attempt) => 1000 * 2 ** attempt,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    expect(events).toEqual(['{"unread":1}', '{"unread":3}']);
    expect(sent).toEqual([
      'Bearer token-1',
      'Bearer token-2',
      'Bearer token-3',
      'Bearer token-4',
      'Bearer token-5',
    ]);
    // After an event the backoff starts over; failures in a row make it grow.
    expect(waits).toEqual([1000, 2000, 4000, 1000]);
  });
});
