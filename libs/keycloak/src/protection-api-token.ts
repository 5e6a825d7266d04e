import { z } from 'zod';
import { log, metrics } from '@app/observability';
import { basicAuth, KeycloakError, keycloakFetch } from './keycloak-http.ts';
import { KeycloakDiscovery } from './keycloak-discovery.ts';
import type { KeycloakOptions } from './keycloak.options.ts';

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
});

const patLog = log.child({ component: 'keycloak' });

interface CachedToken {
  readonly value: string;
  readonly obtainedAt: number;
  readonly expiresAt: number;
}

/**
 * The protection API token (PAT): a client-credentials token of the resource server. It is cached
 * and replaced once half of its life is gone, because a permission ticket expires with the token
 * that minted it. Concurrent callers share one token request.
 */
export class ProtectionApiToken {
  private cached: CachedToken | undefined;
  private inflight: Promise<CachedToken> | undefined;

  constructor(
    private readonly options: KeycloakOptions,
    private readonly discovery: KeycloakDiscovery,
    private readonly now: () => number = Date.now,
  ) {}

  /** A PAT with at least half of its life left. */
  async get(): Promise<string> {
    const cached = this.cached;
    if (
      cached !== undefined &&
      this.now() < cached.obtainedAt + (cached.expiresAt - cached.obtainedAt) / 2
    ) {
      return cached.value;
    }
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = undefined;
    });
    return (await this.inflight).value;
  }

  /** Forgets the cached token, e.g. after Keycloak refused it. */
  invalidate(): void {
    this.cached = undefined;
  }

  /** Obtains a PAT, counted in `photoz_keycloak_pat_refreshes_total` and logged (never the token). */
  private async fetch(): Promise<CachedToken> {
    try {
      const token = await this.obtain();
      metrics.patRefreshes.inc({ result: 'success' });
      patLog.info(
        {
          event: 'keycloak.pat_refresh',
          result: 'success',
          expiresInSeconds: Math.round((token.expiresAt - token.obtainedAt) / 1000),
        },
        'protection API token obtained',
      );
      return token;
    } catch (error) {
      metrics.patRefreshes.inc({ result: 'failure' });
      patLog.warn(
        {
          event: 'keycloak.pat_refresh',
          result: 'failure',
          error: error instanceof Error ? error.name : typeof error,
          status: error instanceof KeycloakError ? error.status : undefined,
          keycloakError: error instanceof KeycloakError ? error.error : undefined,
        },
        'protection API token not obtained',
      );
      throw error;
    }
  }

  private async obtain(): Promise<CachedToken> {
    const { token_endpoint: tokenEndpoint } = await this.discovery.get();
    const obtainedAt = this.now();
    const response = await keycloakFetch('protection API token', tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: basicAuth(this.options.clientId, this.options.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
      timeoutMs: this.options.timeoutMs,
      expected: [200],
    });
    const token = tokenResponseSchema.parse(response.body);
    this.cached = {
      value: token.access_token,
      obtainedAt,
      expiresAt: obtainedAt + token.expires_in * 1000,
    };
    return this.cached;
  }
}
