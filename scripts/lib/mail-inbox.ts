import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A message as the inbox received it: the envelope, the main headers and the text body. */
export interface ReceivedMail {
  readonly id: number;
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly receivedAt: string;
}

/** Undoes quoted-printable (RFC 2045): soft line breaks, then `=XX` bytes. */
function decodeQuotedPrintable(body: string): string {
  const bytes = body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`) in a header. */
function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(
      /=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g,
      (_match, _charset, encoding: string, text: string) =>
        encoding.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64').toString('utf8')
          : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );
}

/** The subject and text body of a single-part plain-text message (what Photoz sends). */
function parse(raw: string): { subject: string; text: string } {
  const split = raw.search(/\r?\n\r?\n/);
  const head = (split < 0 ? raw : raw.slice(0, split)).replace(/\r?\n[ \t]+/g, ' ');
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const header = (name: string) =>
    head
      .split(/\r?\n/)
      .find((line) => line.toLowerCase().startsWith(`${name}:`))
      ?.slice(name.length + 1)
      .trim() ?? '';
  const encoding = header('content-transfer-encoding').toLowerCase();
  const text =
    encoding === 'quoted-printable'
      ? decodeQuotedPrintable(body)
      : encoding === 'base64'
        ? Buffer.from(body, 'base64').toString('utf8')
        : Buffer.from(body, 'latin1').toString('utf8');
  return { subject: decodeHeader(header('subject')), text: text.replace(/\r\n/g, '\n').trimEnd() };
}

/**
 * A real SMTP server for development and the tests, with an inbox to read back: `smtp-server`
 * (from the nodemailer project) speaks SMTP, and every message it accepts is kept in memory and
 * listed as JSON at `GET /messages` of a small HTTP server (`GET /` is a plain-text listing for a
 * developer's browser). It accepts any sender and recipient, without authentication or TLS:
 * development only, on localhost. Stopping it and starting it again on the same port (the tests
 * do) keeps what it received.
 */
export class MailInbox {
  readonly #messages: ReceivedMail[] = [];
  #smtp: SMTPServer | undefined;
  #web: Server | undefined;
  #smtpPort = 0;

  get messages(): readonly ReceivedMail[] {
    return this.#messages;
  }

  /** `smtp://127.0.0.1:<port>`, for `SMTP_URL`. */
  get smtpUrl(): string {
    return `smtp://127.0.0.1:${this.#smtpPort}`;
  }

  /** Starts SMTP on `port` (0: any free one; the last port used, when started again). */
  async start(port = this.#smtpPort): Promise<void> {
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      banner: 'Photoz development mail inbox',
      logger: false,
      size: 1024 * 1024,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const { subject, text } = parse(Buffer.concat(chunks).toString('latin1'));
          this.#messages.push({
            id: this.#messages.length + 1,
            from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((recipient) => recipient.address),
            subject,
            text,
            receivedAt: new Date().toISOString(),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      smtp.once('error', reject);
      smtp.listen(port, '127.0.0.1', () => resolve());
    });
    smtp.on('error', () => undefined);
    this.#smtp = smtp;
    this.#smtpPort = (smtp.server.address() as AddressInfo).port;
  }

  /** Serves the inbox on `port` (`GET /`, `GET /messages`); returns its URL. */
  async serveWeb(port: number): Promise<string> {
    const web = createServer((request, response) => {
      if (request.url === '/messages') {
        response.writeHead(200, {
          'content-type': 'application/json',
          'x-content-type-options': 'nosniff',
        });
        response.end(JSON.stringify(this.#messages));
        return;
      }
      // Plain text, never sniffed as HTML: a subject or body is shown, never run.
      response.writeHead(200, {
        'content-type': 'text/plain; charset=utf-8',
        'x-content-type-options': 'nosniff',
      });
      response.end(
        this.#messages.length === 0
          ? 'No mail yet.\n'
          : [...this.#messages]
              .reverse()
              .map(
                (mail) =>
                  `#${mail.id} ${mail.receivedAt}\nTo: ${mail.to.join(', ')}\nSubject: ${mail.subject}\n\n${mail.text}\n`,
              )
              .join('\n----------------------------------------\n\n'),
      );
    });
    await new Promise<void>((resolve, reject) => {
      web.once('error', reject);
      web.listen(port, '127.0.0.1', () => resolve());
    });
    this.#web = web;
    return `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  }

  /** Stops accepting mail (connections in progress are cut); what was received is kept. */
  async stop(): Promise<void> {
    const smtp = this.#smtp;
    this.#smtp = undefined;
    if (smtp !== undefined) {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  }

  async close(): Promise<void> {
    await this.stop();
    const web = this.#web;
    this.#web = undefined;
    if (web !== undefined) {
      web.closeAllConnections();
      await new Promise<void>((resolve) => web.close(() => resolve()));
    }
  }
}
