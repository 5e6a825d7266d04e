import { SetMetadata } from '@nestjs/common';
import type { RateLimitClass } from '@app/common';

export const RATE_LIMIT_CLASS_KEY = 'photoz:rate-limit-class';

/**
 * Which of the caller's rate limits a route counts against. Without it, `GET` and `HEAD` routes
 * count as `read` and the others as `write`; `costly` is for writes that cost Keycloak calls or
 * storage (permission requests, shares, uploads).
 */
export const RateLimitPolicy = (policy: RateLimitClass): MethodDecorator & ClassDecorator =>
  SetMetadata(RATE_LIMIT_CLASS_KEY, policy);
