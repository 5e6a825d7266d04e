import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type ProblemDetails,
  ProblemException,
  problemType,
  statusTitle,
} from './problem-details.ts';

interface StatusError {
  readonly statusCode: number;
  readonly message: string;
}

function hasClientStatus(error: unknown): error is StatusError {
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const { statusCode, message } = error as Partial<StatusError>;
  return (
    typeof statusCode === 'number' &&
    statusCode >= 400 &&
    statusCode < 500 &&
    typeof message === 'string'
  );
}

function httpExceptionDetail(exception: HttpException): string | undefined {
  const response = exception.getResponse();
  if (typeof response === 'string') {
    return response;
  }
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) {
    return message.map(String).join('; ');
  }
  return typeof message === 'string' ? message : undefined;
}

/**
 * Renders every error as RFC 9457 problem details. Unknown errors become a generic 500: the stack
 * goes to the log with the correlation id, never into the body.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problem');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { body, headers } = this.toProblem(exception, request);
    sendProblem(
      reply,
      { ...body, instance: request.url.split('?')[0], correlationId: request.id },
      headers,
    );
  }

  toProblem(
    exception: unknown,
    request: FastifyRequest,
  ): { body: ProblemDetails; headers: Readonly<Record<string, string>> } {
    if (exception instanceof ProblemException) {
      return { body: exception.toBody(), headers: exception.problem.headers ?? {} };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status >= 500) {
        this.logger.error(`[${request.id}] ${exception.message}`, exception.stack);
      }
      return {
        body: {
          type: problemType(undefined),
          title: statusTitle(status),
          status,
          ...(status >= 500 ? {} : { detail: httpExceptionDetail(exception) }),
        },
        headers: {},
      };
    }
    if (hasClientStatus(exception)) {
      return {
        body: {
          type: problemType(undefined),
          title: statusTitle(exception.statusCode),
          status: exception.statusCode,
          detail: exception.message,
        },
        headers: {},
      };
    }
    const error = exception instanceof Error ? exception : new Error(String(exception));
    this.logger.error(
      `[${request.id}] ${request.method} ${request.url.split('?')[0]}: ${error.message}`,
      error.stack,
    );
    return {
      body: {
        type: problemType(undefined),
        title: statusTitle(500),
        status: 500,
        detail: 'An unexpected error occurred.',
      },
      headers: {},
    };
  }
}

export function sendProblem(
  reply: FastifyReply,
  body: ProblemDetails,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (reply.sent) {
    return;
  }
  void reply
    .status(body.status)
    .headers(headers)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send(body);
}
