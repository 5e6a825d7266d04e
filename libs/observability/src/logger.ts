import type { LoggerService, LogLevel } from '@nestjs/common';
import pino, { type Logger, type LoggerOptions } from 'pino';

/** Levels `LOG_LEVEL` accepts. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/**
 * Values that must never reach a log line, wherever they appear in a logged object: credentials
 * in headers, bodies and Keycloak's answers.
 */
export const REDACTED_PATHS = [
  'authorization',
  'cookie',
  '*.authorization',
  '*.cookie',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.client_secret',
  '*.password',
  '*.ticket',
  '*.rpt',
  'headers.authorization',
  'headers.cookie',
];

function options(env: NodeJS.ProcessEnv): LoggerOptions {
  const level = (env['LOG_LEVEL'] ?? 'info').toLowerCase();
  return {
    level: (LOG_LEVELS as readonly string[]).includes(level) ? level : 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}

/**
 * Where log lines go: JSON lines on stdout; `LOG_FILE` appends them to a file instead (the
 * end-to-end tests scan theirs); human-readable only when a person runs the service in a terminal
 * (stdout is a TTY and `LOG_FORMAT` is not `json`).
 */
function destination(env: NodeJS.ProcessEnv): pino.DestinationStream | undefined {
  const file = env['LOG_FILE'];
  if (file !== undefined && file !== '') {
    return pino.destination({ dest: file, append: true, mkdir: true, sync: false });
  }
  if (process.stdout.isTTY && env['LOG_FORMAT'] !== 'json') {
    return pino.transport({
      target: 'pino-pretty',
      options: { colorize: true },
    });
  }
  return undefined;
}

function createRootLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const target = destination(env);
  return target === undefined ? pino(options(env)) : pino(options(env), target);
}

/** The process's logger; `log.child({ component })` for a part of it. */
export const log: Logger = createRootLogger();

/**
 * Nest's own messages (`new Logger(context)`) as JSON lines of {@link log}; `levels`, when given,
 * keeps only Nest's messages of those levels (tests quiet the framework's start-up lines).
 */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly levels?: readonly LogLevel[]) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('log', 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', 'error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', 'warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', 'debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('verbose', 'trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', 'fatal', message, rest);
  }

  /** Nest passes `(message, context)` or `(message, stack, context)` for errors. */
  private write(nestLevel: LogLevel, level: pino.Level, message: unknown, rest: unknown[]): void {
    if (this.levels !== undefined && !this.levels.includes(nestLevel)) {
      return;
    }
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    const fields: Record<string, unknown> = { context };
    if (stack !== undefined) {
      fields['stack'] = stack;
    }
    if (message instanceof Error) {
      log[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      log[level]({ ...fields, ...message });
    } else {
      log[level](fields, String(message));
    }
  }
}
