import { problemOf } from './body.ts';
import type { ProblemDetails } from './types.ts';

/**
 * An answer of the authorization server that is not a success (a refused client, grant or
 * metadata request). The grant functions and `discovery` throw it; `UmaClient` turns it into a
 * `problem` result with `source: 'authorization-server'`.
 */
export class AuthorizationServerError extends Error {
  readonly status: number;
  /** The body: OAuth's `{ error, error_description }` (RFC 6749 §5.2) or problem details. */
  readonly problem: ProblemDetails;
  readonly response: Response;

  constructor(status: number, problem: ProblemDetails, response: Response) {
    super(`authorization server answered ${status}`);
    this.name = 'AuthorizationServerError';
    this.status = status;
    this.problem = problem;
    this.response = response;
  }

  /** Reads the answer's body into the error. */
  static async from(response: Response): Promise<AuthorizationServerError> {
    return new AuthorizationServerError(response.status, await problemOf(response), response);
  }

  /** OAuth's `error` code, when the body has one. */
  get code(): string | undefined {
    const code = this.problem['error'];
    return typeof code === 'string' ? code : undefined;
  }

  /** OAuth's `error_description`, when the body has one. */
  get description(): string | undefined {
    const description = this.problem['error_description'];
    return typeof description === 'string' ? description : undefined;
  }
}
