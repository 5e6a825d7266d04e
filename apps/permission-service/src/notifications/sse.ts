/**
 * Server-sent events framing (the WHATWG HTML "event stream" format): an event is `event:` and
 * one `data:` line per line of its data, ended by a blank line; a line starting with `:` is a
 * comment, which clients ignore and proxies see as traffic. Nothing a caller controls may end a
 * field early: a name with a line break is refused, and data is split at every line break the
 * format knows (CRLF, CR, LF), so no value can inject a field or an event of its own.
 */
const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const LINE_BREAK = /\r\n|\r|\n/;

/** One event: `name` and `data` (JSON-encoded), with an `id` when given. */
export function sseEvent(name: string, data: unknown, id?: string): string {
  if (!EVENT_NAME.test(name)) {
    throw new Error('an event name is letters, digits, `-` and `_`');
  }
  if (id !== undefined && (LINE_BREAK.test(id) || id.includes('\0'))) {
    throw new Error('an event id holds no line break and no NUL');
  }
  const lines = JSON.stringify(data).split(LINE_BREAK);
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${name}\n${lines
    .map((line) => `data: ${line}\n`)
    .join('')}\n`;
}

/** A comment line (a heartbeat): one line, whatever `text` holds. */
export function sseComment(text: string): string {
  return `: ${text.split(LINE_BREAK).join(' ')}\n\n`;
}
