import type { Type } from '@nestjs/common';
import { RateLimitedProblemDto } from './problem-details.dto.ts';

/**
 * One kind of problem a route can answer, for its OpenAPI document. `createOpenApiDocument`
 * merges every spec of a route by status into one `application/problem+json` response.
 */
export interface ProblemSpec {
  readonly status: number;
  /** Problem codes (`type` `urn:photoz:problem:<code>`); `null` stands for `about:blank`. */
  readonly codes: readonly (string | null)[];
  readonly description: string;
  /** Response headers, name to description. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A body schema more specific than `ProblemDetailsDto` (with extension members). */
  readonly body?: Type<unknown>;
}

/** Where `@ApiProblems` keeps its specs (on the route's handler, or on the controller). */
export const API_PROBLEMS_KEY = 'photoz:api-problems';

const RETRY_AFTER = 'Seconds to wait before repeating the request';

/** The specs for a bare status in `@ApiProblems(400, 404)`. */
export const DEFAULT_PROBLEMS: Readonly<Record<number, ProblemSpec>> = {
  400: {
    status: 400,
    codes: ['validation', null],
    description: 'a field is invalid (`errors` names each one), or the body cannot be parsed',
  },
  403: { status: 403, codes: ['forbidden'], description: 'a required realm role is missing' },
  404: {
    status: 404,
    codes: ['not-found'],
    description: 'no such resource, or none the caller may see',
  },
  409: { status: 409, codes: [null], description: 'the request conflicts with the current state' },
  413: { status: 413, codes: [null], description: 'the body is larger than the service accepts' },
  414: { status: 414, codes: [null], description: 'a path segment of the URL is too long' },
  415: { status: 415, codes: [null], description: 'the body has a content type not accepted here' },
  503: {
    status: 503,
    codes: ['authorization-server-unavailable'],
    description: 'Keycloak cannot be reached; repeat the request',
    headers: { 'Retry-After': RETRY_AFTER },
  },
};

/** A problem with one code, e.g. `problem(409, 'nothing-pending', 'nothing is pending')`. */
export function problem(
  status: number,
  code: string | null,
  description: string,
  options: { headers?: Readonly<Record<string, string>>; body?: Type<unknown> } = {},
): ProblemSpec {
  return { status, codes: [code], description, ...options };
}

/** `Retry-After`, for a problem spec's `headers`. */
export const retryAfterHeader: Readonly<Record<string, string>> = { 'Retry-After': RETRY_AFTER };

/** Answered on every route that needs a token (added by `createOpenApiDocument`). */
export const BEARER_CHALLENGE: ProblemSpec = {
  status: 401,
  codes: ['authentication-required', 'invalid-token'],
  description:
    "no bearer token, or a refused one (the reason is in the challenge's `error_description`)",
  headers: {
    'WWW-Authenticate':
      'RFC 6750 challenge: `Bearer realm="photoz"`, or `Bearer realm="photoz", error="invalid_token", error_description="…"`',
  },
};

/** Answered on every route that needs a token (added by `createOpenApiDocument`): rate limits. */
export const RATE_LIMITED: ProblemSpec = {
  status: 429,
  codes: ['rate-limited'],
  description:
    'the caller made more requests of this kind than its limit allows in the window (`violated-policies` names the policy)',
  headers: {
    'Retry-After': RETRY_AFTER,
    RateLimit:
      'draft-ietf-httpapi-ratelimit-headers-11: what is left of the policy, e.g. `"user-read";r=0;t=42` (also on every other answer of the route)',
    'RateLimit-Policy':
      'draft-ietf-httpapi-ratelimit-headers-11: the policy, e.g. `"user-read";q=1200;w=60` (also on every other answer of the route)',
  },
  body: RateLimitedProblemDto,
};

/** Answered on every route that takes a JSON body (added by `createOpenApiDocument`). */
export const JSON_BODY_PROBLEMS: readonly ProblemSpec[] = [
  DEFAULT_PROBLEMS[400] as ProblemSpec,
  problem(
    400,
    'json-too-deep',
    'the body nests arrays and objects deeper than the service reads (`HTTP_JSON_MAX_DEPTH`)',
  ),
  problem(408, 'body-timeout', 'the body did not arrive in time (`HTTP_BODY_TIMEOUT_MS`)'),
  DEFAULT_PROBLEMS[413] as ProblemSpec,
  DEFAULT_PROBLEMS[415] as ProblemSpec,
];

export function toProblemSpec(spec: number | ProblemSpec): ProblemSpec {
  if (typeof spec !== 'number') {
    return spec;
  }
  const known = DEFAULT_PROBLEMS[spec];
  if (known === undefined) {
    throw new Error(`@ApiProblems(${spec}): no default problem for this status; pass a spec`);
  }
  return known;
}

/**
 * Documents the problems a route (or every route of a controller) can answer:
 * `@ApiProblems(400, 404, problem(409, 'nothing-pending', '...'))`. Specs of the same status are
 * merged, whatever the order of the decorators; the bearer challenge, the JSON body problems and
 * `414` are added by `createOpenApiDocument` where they apply.
 */
export function ApiProblems(
  ...specs: readonly (number | ProblemSpec)[]
): MethodDecorator & ClassDecorator {
  const entries = specs.map(toProblemSpec);
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const handler: unknown = descriptor?.value;
    const holder = typeof handler === 'function' ? handler : target;
    const existing = (Reflect.getOwnMetadata(API_PROBLEMS_KEY, holder) ?? []) as ProblemSpec[];
    Reflect.defineMetadata(API_PROBLEMS_KEY, [...existing, ...entries], holder);
  };
}

/** The specs `@ApiProblems` put on a handler and its controller (the controller's first). */
export function problemSpecsOf(controller: Type<unknown>, handler: object): ProblemSpec[] {
  return [
    ...((Reflect.getOwnMetadata(API_PROBLEMS_KEY, controller) ?? []) as ProblemSpec[]),
    ...((Reflect.getOwnMetadata(API_PROBLEMS_KEY, handler) ?? []) as ProblemSpec[]),
  ];
}
