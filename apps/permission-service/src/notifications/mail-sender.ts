import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailMessage } from './notification-mail.ts';

/** How email is sent (`SMTP_URL`, `SMTP_FROM`); no URL: no email at all. */
export interface MailOptions {
  readonly smtpUrl: string | undefined;
  readonly from: string;
  readonly webAppUrl: string;
}

export const MAIL_OPTIONS = Symbol('MAIL_OPTIONS');

/** Sends one message (nodemailer over SMTP; a fake in the unit tests). */
export interface MailTransport {
  send(to: string, message: MailMessage): Promise<void>;
}

/**
 * The SMTP client: nodemailer with the `SMTP_URL` given (`smtp://host:port`, `smtps://…` for
 * TLS from the start, credentials in the URL), one connection per message (email is rare here, and
 * a pooled connection to a server that went away fails the next message for nothing).
 */
@Injectable()
export class MailSender implements MailTransport, OnApplicationShutdown {
  private readonly transport: Transporter | undefined;

  constructor(@Inject(MAIL_OPTIONS) private readonly options: MailOptions) {
    this.transport =
      options.smtpUrl === undefined
        ? undefined
        : nodemailer.createTransport({
            url: options.smtpUrl,
            connectionTimeout: 10_000,
            greetingTimeout: 10_000,
            socketTimeout: 30_000,
          });
  }

  async send(to: string, message: MailMessage): Promise<void> {
    if (this.transport === undefined) {
      throw new Error('email is off (no SMTP_URL)');
    }
    await this.transport.sendMail({
      from: this.options.from,
      to,
      subject: message.subject,
      text: message.text,
    });
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }
}
