import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Principal } from '@app/auth';
import { IS_PUBLIC_KEY, ProblemException } from '@app/common';
import { PrincipalThrottlerGuard } from './principal-throttler.guard.ts';
import { RATE_LIMIT_CLASS_KEY } from './rate-limit-policy.decorator.ts';
import { throttlerOptions } from './rate-limit.module.ts';

function caller(subject: string, partner = false): Principal {
  return {
    subject,
    username: partner ? `service-account-${subject}` : subject,
    clientId: partner ? subject : 'photoz-web',
    partner,
    realmRoles: [],
    permissions: undefined,
    issuedAt: 0,
    expiresAt: 0,
  };
}

class Controller {}
const read = () => undefined;
const upload = () => undefined;
const health = () => undefined;
Reflect.defineMetadata(RATE_LIMIT_CLASS_KEY, 'costly', upload);
Reflect.defineMetadata(IS_PUBLIC_KEY, true, health);

/** A request to `handler` by `user`, and the headers the guard set on its answer. */
function request(
  handler: () => undefined,
  user: Principal | undefined,
  method = 'GET',
): { context: ExecutionContext; headers: Map<string, string> } {
  const headers = new Map<string, string>();
  const reply = {
    header(name: string, value: string) {
      headers.set(name, value);
      return reply;
    },
  };
  const context = {
    getHandler: () => handler,
    getClass: () => Controller,
    switchToHttp: () => ({ getRequest: () => ({ method, user }), getResponse: () => reply }),
  } as unknown as ExecutionContext;
  return { context, headers };
}

const guards: PrincipalThrottlerGuard[] = [];

async function guard(refusalDelayMs = 0): Promise<PrincipalThrottlerGuard> {
  const created = new PrincipalThrottlerGuard(
    throttlerOptions({
      windowSeconds: 60,
      refusalDelayMs,
      user: { read: 2, write: 3, costly: 1 },
      partner: { read: 5, write: 5, costly: 5 },
    }),
    new ThrottlerStorageService(),
    new Reflector(),
  );
  await created.onModuleInit();
  guards.push(created);
  return created;
}

function refusal(run: () => unknown): ProblemException | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof ProblemException ? error : undefined;
  }
}

describe(PrincipalThrottlerGuard.name, () => {
  afterEach(() => {
    for (const created of guards.splice(0)) {
      created.onModuleDestroy();
    }
  });

  it('writes the policy and what is left of it on an allowed request', async () => {
    const limiter = await guard();
    const { context, headers } = request(read, caller('alice'));
    await expect(limiter.canActivate(context)).resolves.toBe(true);
    expect(Object.fromEntries(headers)).toEqual({
      'ratelimit-policy': '"user-read";q=2;w=60',
      ratelimit: '"user-read";r=1;t=60',
    });
  });

  it('refuses the request over the limit with a 429 problem and Retry-After', async () => {
    const limiter = await guard();
    await limiter.canActivate(request(read, caller('alice')).context);
    await limiter.canActivate(request(read, caller('alice')).context);
    const { context, headers } = request(read, caller('alice'));
    const refused = refusal(() => limiter.canActivate(context));
    expect(refused?.getStatus()).toBe(429);
    expect(refused?.problem.headers).toEqual({ 'retry-after': '60' });
    expect(refused?.toBody()).toMatchObject({
      type: 'urn:photoz:problem:rate-limited',
      'violated-policies': ['user-read'],
    });
    expect(headers.get('ratelimit')).toBe('"user-read";r=0;t=60');
  });

  it('sends a refusal only after the configured delay, and allowed requests at once', async () => {
    vi.useFakeTimers();
    try {
      const limiter = await guard(1_000);
      await expect(limiter.canActivate(request(read, caller('alice')).context)).resolves.toBe(true);
      await limiter.canActivate(request(read, caller('alice')).context);
      let settled: unknown;
      const refused = limiter.canActivate(request(read, caller('alice')).context).then(
        () => (settled = 'allowed'),
        (error: unknown) => (settled = error),
      );
      await vi.advanceTimersByTimeAsync(999);
      expect(settled).toBeUndefined();
      await vi.advanceTimersByTimeAsync(1);
      await refused;
      expect(settled).toBeInstanceOf(ProblemException);
      expect((settled as ProblemException).getStatus()).toBe(429);
    } finally {
      vi.useRealTimers();
    }
  });

  it('counts writes by their method and costly routes by their decorator, each apart', async () => {
    const limiter = await guard();
    const post = request(read, caller('alice'), 'POST');
    await limiter.canActivate(post.context);
    expect(post.headers.get('ratelimit')).toBe('"user-write";r=2;t=60');
    await limiter.canActivate(request(upload, caller('alice'), 'POST').context);
    expect(
      refusal(() =>
        limiter.canActivate(request(upload, caller('alice'), 'POST').context),
      )?.getStatus(),
    ).toBe(429);
    const get = request(read, caller('alice'));
    await limiter.canActivate(get.context);
    expect(get.headers.get('ratelimit')).toBe('"user-read";r=1;t=60');
  });

  it("counts a partner under the partners' policy, apart from a person with the same subject", async () => {
    const limiter = await guard();
    await limiter.canActivate(request(read, caller('same-sub')).context);
    await limiter.canActivate(request(read, caller('same-sub')).context);
    const partner = request(read, caller('same-sub', true));
    await expect(limiter.canActivate(partner.context)).resolves.toBe(true);
    expect(partner.headers.get('ratelimit')).toBe('"partner-read";r=4;t=60');
  });

  it('leaves a @Public() route alone', async () => {
    const limiter = await guard();
    const { context, headers } = request(health, undefined);
    await expect(limiter.canActivate(context)).resolves.toBe(true);
    expect(headers.size).toBe(0);
  });

  it('refuses to run on a guarded route before the caller is verified', async () => {
    const limiter = await guard();
    expect(() => limiter.canActivate(request(read, undefined).context)).toThrow(
      /before the authentication guard/,
    );
  });
});
