import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

/** RFC 9457 problem details, with this project's extension members. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly correlationId?: string;
  readonly [extension: string]: unknown;
}

export interface ProblemInit {
  readonly status: number;
  /** A stable, machine-readable code; becomes the `type` URN. */
  readonly code?: string;
  readonly title?: string;
  readonly detail?: string;
  /** Extension members merged into the body (e.g. `errors`, `ticket`). */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** Response headers, e.g. `WWW-Authenticate`. */
  readonly headers?: Readonly<Record<string, string>>;
}

export function problemType(code: string | undefined): string {
  return code === undefined ? 'about:blank' : `urn:photoz:problem:${code}`;
}

export function statusTitle(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

/** An HTTP error that the global filter renders as problem details, with its headers. */
export class ProblemException extends HttpException {
  readonly problem: ProblemInit;

  constructor(problem: ProblemInit) {
    super(problem.detail ?? statusTitle(problem.status), problem.status);
    this.problem = problem;
  }

  toBody(): ProblemDetails {
    return {
      ...this.problem.extensions,
      type: problemType(this.problem.code),
      title: this.problem.title ?? statusTitle(this.problem.status),
      status: this.problem.status,
      ...(this.problem.detail === undefined ? {} : { detail: this.problem.detail }),
    };
  }
}

/** One invalid field of a request. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export function validationProblem(errors: readonly FieldError[]): ProblemException {
  const fields = [...new Set(errors.map((error) => error.field))];
  return new ProblemException({
    status: 400,
    code: 'validation',
    title: 'Invalid request',
    detail: `Invalid ${fields.length === 1 ? 'field' : 'fields'}: ${fields.join(', ')}`,
    extensions: { errors },
  });
}

export function notFoundProblem(detail: string): ProblemException {
  return new ProblemException({ status: 404, code: 'not-found', detail });
}
