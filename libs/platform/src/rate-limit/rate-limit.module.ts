import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { RATE_LIMIT_CLASSES, type RateLimitConfig } from '@app/common';
import {
  type CallerKind,
  type PhotozThrottlerOptions,
  policyName,
  PrincipalThrottlerGuard,
} from './principal-throttler.guard.ts';

/** The policies as `ThrottlerModule`'s named throttlers: one per kind of caller and route class. */
export function throttlerOptions(config: RateLimitConfig): PhotozThrottlerOptions {
  const ttl = config.windowSeconds * 1000;
  const kinds: CallerKind[] = ['user', 'partner'];
  return {
    throttlers: kinds.flatMap((kind) =>
      RATE_LIMIT_CLASSES.map((policy) => ({
        name: policyName(kind, policy),
        ttl,
        limit: config[kind][policy],
      })),
    ),
    // The guard writes the RateLimit fields of the IETF draft, not the X-RateLimit-* ones.
    setHeaders: false,
    refusalDelayMs: config.refusalDelayMs,
  };
}

/**
 * Per-caller rate limits on every route that needs a token ({@link PrincipalThrottlerGuard}).
 * Import it after `AuthModule`: global guards run in the order their modules register them, and
 * this one counts the caller that authentication verified.
 */
@Module({})
export class RateLimitModule {
  static forRoot(config: RateLimitConfig): DynamicModule {
    return {
      module: RateLimitModule,
      imports: [ThrottlerModule.forRoot(throttlerOptions(config))],
      providers: [{ provide: APP_GUARD, useClass: PrincipalThrottlerGuard }],
    };
  }
}
