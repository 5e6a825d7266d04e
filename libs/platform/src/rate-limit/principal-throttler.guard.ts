import { type ExecutionContext, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { principalOf } from '@app/auth';
import {
  IS_PUBLIC_KEY,
  ProblemException,
  RATE_LIMIT_CLASSES,
  type RateLimitClass,
} from '@app/common';
import { FixedWindowCounter } from './fixed-window.counter.ts';
import { RATE_LIMIT_CLASS_KEY } from './rate-limit-policy.decorator.ts';

/** `ThrottlerModule`'s options, with how long a refusal waits (`RateLimitConfig.refusalDelayMs`). */
export type PhotozThrottlerOptions = ThrottlerModuleOptions & { readonly refusalDelayMs: number };

/** The two kinds of caller, counted apart: a partner is a client-credentials caller. */
export type CallerKind = 'user' | 'partner';

/** The throttler name of a policy, e.g. `partner-costly`; also its name in the `RateLimit` fields. */
export function policyName(kind: CallerKind, policy: RateLimitClass): string {
  return `${kind}-${policy}`;
}

/** One named policy: its counter and its `RateLimit-Policy` field, built once. */
interface Policy {
  readonly name: string;
  readonly counter: FixedWindowCounter;
  readonly policyField: string;
  readonly windowSeconds: number;
}

/** A route's class, `undefined` for a `@Public()` route (no caller to count). */
type RouteClass = RateLimitClass | 'method' | undefined;

/** Nest awaits a guard's promise; an allowed request reuses this one. */
const ALLOWED: Promise<boolean> = Promise.resolve(true);

function refuse(policy: Policy, retryAfter: number): ProblemException {
  return new ProblemException({
    status: 429,
    code: 'rate-limited',
    detail: `Too many requests: the ${policy.name} limit is ${policy.counter.limit} per ${policy.windowSeconds} s; retry in ${retryAfter} s.`,
    // The member the RateLimit draft gives its quota-exceeded problem.
    extensions: { 'violated-policies': [policy.name] },
    headers: { 'retry-after': String(retryAfter) },
  });
}

/** A refusal sent after `ms`; the timer holds no process open. */
function delayed(refusal: ProblemException, ms: number): Promise<boolean> {
  return new Promise((_resolve, reject) => {
    setTimeout(() => reject(refusal), ms).unref();
  });
}

/**
 * Per-caller rate limits, counted by the caller the authentication guard verified (`sub`, people
 * and partners apart), never by anything of an unverified token; so it must run after that guard,
 * and refuses to run before it. Every counted answer carries the `RateLimit-Policy` and `RateLimit`
 * fields of draft-ietf-httpapi-ratelimit-headers-11; the refusal is a `429` problem with
 * `Retry-After`, sent after the configured delay (`RATE_LIMIT_REFUSAL_DELAY_MS`), so that a client
 * that never stops is slowed to its own concurrency instead of being refused as fast as the
 * service can.
 *
 * The policies are `ThrottlerModule`'s named throttlers (`user-read`, `partner-costly`, ...). The
 * request path is this class's own: the base guard applies every throttler to every route, awaits
 * several promises per throttler, hashes each key with SHA-256 and, with its default storage,
 * filters an array of every hit's expiry on each request; this one makes one map lookup on a
 * counter of the route's policy and reuses one resolved promise.
 */
@Injectable()
export class PrincipalThrottlerGuard extends ThrottlerGuard implements OnModuleDestroy {
  private policies:
    Readonly<Record<CallerKind, Readonly<Record<RateLimitClass, Policy>>>> | undefined;
  private readonly routeClasses = new Map<unknown, RouteClass>();
  private sweeper: NodeJS.Timeout | undefined;

  private refusalDelayMs = 0;

  override async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    this.refusalDelayMs = (this.options as Partial<PhotozThrottlerOptions>).refusalDelayMs ?? 0;
    const build = (kind: CallerKind) =>
      Object.fromEntries(
        RATE_LIMIT_CLASSES.map((policy) => [policy, this.policyOf(policyName(kind, policy))]),
      ) as Record<RateLimitClass, Policy>;
    const policies = { user: build('user'), partner: build('partner') };
    this.policies = policies;
    const all = [...Object.values(policies.user), ...Object.values(policies.partner)];
    const shortest = Math.min(...all.map((policy) => policy.counter.windowMs));
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const policy of all) {
        policy.counter.sweep(now);
      }
    }, shortest);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  override canActivate(context: ExecutionContext): Promise<boolean> {
    const handler = context.getHandler();
    let routeClass = this.routeClasses.get(handler);
    if (routeClass === undefined && !this.routeClasses.has(handler)) {
      routeClass = this.classOf(context);
      this.routeClasses.set(handler, routeClass);
    }
    if (routeClass === undefined) {
      return ALLOWED;
    }
    const http = context.switchToHttp();
    const request = http.getRequest<{ readonly method: string }>();
    const principal = principalOf(request);
    if (principal === undefined || this.policies === undefined) {
      throw new Error('the rate limit guard ran before the authentication guard');
    }
    const policy =
      this.policies[principal.partner ? 'partner' : 'user'][
        routeClass === 'method'
          ? request.method === 'GET' || request.method === 'HEAD'
            ? 'read'
            : 'write'
          : routeClass
      ];
    const now = Date.now();
    const window = policy.counter.hit(principal.subject, now);
    const reset = Math.max(1, Math.ceil((window.resetAt - now) / 1000));
    const remaining = Math.max(0, policy.counter.limit - window.count);
    void http
      .getResponse<FastifyReply>()
      .header('ratelimit-policy', policy.policyField)
      .header('ratelimit', `"${policy.name}";r=${remaining};t=${reset}`);
    if (window.count > policy.counter.limit) {
      const refusal = refuse(policy, reset);
      if (this.refusalDelayMs === 0) {
        throw refusal;
      }
      return delayed(refusal, Math.min(this.refusalDelayMs, window.resetAt - now));
    }
    return ALLOWED;
  }

  private classOf(context: ExecutionContext): RouteClass {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true) {
      return undefined;
    }
    return (
      this.reflector.getAllAndOverride<RateLimitClass | undefined>(RATE_LIMIT_CLASS_KEY, targets) ??
      'method'
    );
  }

  private policyOf(name: string): Policy {
    const throttler = this.throttlers.find((candidate) => candidate.name === name);
    if (
      throttler === undefined ||
      typeof throttler.limit !== 'number' ||
      typeof throttler.ttl !== 'number'
    ) {
      throw new Error(`rate limits: no throttler ${name} with a fixed limit and ttl`);
    }
    const windowSeconds = Math.ceil(throttler.ttl / 1000);
    return {
      name,
      counter: new FixedWindowCounter(throttler.limit, throttler.ttl),
      policyField: `"${name}";q=${throttler.limit};w=${windowSeconds}`,
      windowSeconds,
    };
  }
}
