import { Agent, request as httpRequest } from 'node:http';
import type { ConcreteRequest } from './fuzz-wire.ts';

export interface FuzzResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

/*
 * A connection per request: after refusing a body it did not read, the server may close a
 * kept-alive connection, and the next request on it would fail on the client's side.
 */
const agent = new Agent({ keepAlive: false });

/** How much of a response body is kept: enough for any problem document. */
const MAX_BODY = 1024 * 1024;

/**
 * Sends a request byte for byte through `node:http` (fetch would normalise `..` and re-encode
 * the path, and refuse some of the headers). The server may stop reading an oversized body and
 * answer early: the answer counts, the failed upload does not.
 */
export function send(base: string, request: ConcreteRequest): Promise<FuzzResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    let answered = false;
    const outgoing = httpRequest(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: request.method,
        path: request.path,
        // Without it a GET or DELETE body goes out unframed and reads as a second request.
        headers: {
          ...request.headers,
          ...(request.body === undefined ? {} : { 'content-length': String(request.body.length) }),
        },
        timeout: 30_000,
      },
      (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        const answer = () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        // An event stream does not end while its token is valid: its first event is its answer.
        const stream = (response.headers['content-type'] ?? '').startsWith('text/event-stream');
        response.on('data', (chunk: Buffer) => {
          if (size < MAX_BODY) {
            chunks.push(chunk);
            size += chunk.length;
          }
          if (stream && Buffer.concat(chunks).includes('\n\n')) {
            response.destroy();
            answer();
          }
        });
        response.on('end', answer);
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer within 30 s')));
    outgoing.on('error', (error) => {
      if (!answered) {
        reject(error);
      }
    });
    outgoing.end(request.body);
  });
}

export function closeFuzzAgent(): void {
  agent.destroy();
}

/**
 * What must never reach a client: stack frames, file paths, error classes, SQL, driver codes.
 * Quantifiers are bounded: fuzzed inputs run to thousands of characters.
 */
const LEAKS: readonly (readonly [string, RegExp])[] = [
  [
    'a stack frame',
    /\bat (?:async )?(?:[\w$.<>[\] ]{1,200} )?\(?(?:file:\/\/|node:|\/)[^\s)]{0,300}:\d+:\d+/,
  ],
  ['a stack frame', /^\s*at\s+\S.{0,300}:\d+:\d+\)?\s*$/m],
  ['a module path', /node_modules|\/work\/|[\w-]{1,100}\.(?:ts|js|mjs|cjs):\d+/],
  ['an error class', /\b[A-Z][A-Za-z]{0,60}(?:Error|Exception)\b/],
  ['an error prefix', /(?:^|[\s"'])Error: /],
  ['a framework error code', /\b(?:FST|ERR)_[A-Z_]{3,}\b/],
  [
    'SQL',
    /\bSELECT\b[\s\S]{1,200}?\bFROM\b|\bINSERT INTO\b|\bDELETE FROM\b|\bUPDATE\s+\S+\s+SET\b|\bRETURNING\b/,
  ],
  [
    'a PostgreSQL message',
    /\b(?:relation|column) "[^"]+" does not exist|syntax error at or near|invalid input syntax for|violates (?:foreign key|unique|not-null|check) constraint|invalid byte sequence|duplicate key value|value too long for type|current transaction is aborted/i,
  ],
  ['a socket error', /\bE(?:CONNREFUSED|CONNRESET|TIMEDOUT|PIPE|NOTFOUND|AI_AGAIN)\b|fetch failed/],
  ['a Keycloak error body', /"error_description"\s*:|"errorMessage"\s*:/],
];

function escapedForms(value: string): string[] {
  const forms = [value, value.trim(), JSON.stringify(value).slice(1, -1)];
  try {
    forms.push(decodeURIComponent(value));
  } catch {
    // Not percent-encoded.
  }
  return forms.filter((form) => form.length >= 3);
}

/**
 * Finds what in an answer reads like an internal detail. What clients sent that looks like one
 * (a fuzzed "SELECT … FROM …") is removed first, whenever it was sent: an album named so comes
 * back in later listings, and an echo of client input is not a leak.
 */
export class LeakDetector {
  private readonly clientText = new Set<string>();

  remember(inputs: readonly string[]): void {
    for (const input of inputs) {
      if (LEAKS.some(([, pattern]) => pattern.test(input))) {
        for (const form of escapedForms(input)) {
          this.clientText.add(form);
        }
      }
    }
  }

  leaksIn(text: string): string[] {
    let scrubbed = text;
    for (const form of this.clientText) {
      scrubbed = scrubbed.replaceAll(form, '');
    }
    return LEAKS.filter(([, pattern]) => pattern.test(scrubbed)).map(
      ([what, pattern]) => `${what}: ${JSON.stringify(pattern.exec(scrubbed)?.[0] ?? '')}`,
    );
  }
}
