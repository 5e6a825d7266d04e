import type { AuthenticatedClient } from './client-auth.ts';
import type { Clock } from './clock.ts';
import type { Configuration } from './configuration.ts';
import { expiresAtMs, jwtPayload } from './jwt.ts';
import { type TokenResponse, tokenRequest } from './token-endpoint.ts';

/**
 * The client credentials grant (RFC 6749 §4.4): the client's own access token, e.g. a partner's
 * service account. `parameters` are added to the form (e.g. `scope`).
 */
export function clientCredentialsGrant(
  configuration: Configuration,
  client: AuthenticatedClient,
  parameters: Readonly<Record<string, string>> = {},
): Promise<TokenResponse> {
  const form = new URLSearchParams({ ...parameters, grant_type: 'client_credentials' });
  return tokenRequest(configuration, form, client);
}

interface CachedToken {
  readonly token: string;
  readonly renewAt: number;
}

/**
 * A client-credentials token, fetched on first use and shared by concurrent callers, renewed
 * shortly before it expires (the clock's skew, or a tenth of a short lifetime) or when the caller
 * says the API refused it. A failed grant is not kept: the next call asks again.
 */
export class ClientCredentialsCache {
  readonly #grant: () => Promise<TokenResponse>;
  readonly #clock: Clock;
  #pending: Promise<CachedToken> | undefined;

  constructor(grant: () => Promise<TokenResponse>, clock: Clock) {
    this.#grant = grant;
    this.#clock = clock;
  }

  /** The access token; `renew`: fetch a new one even if the cached one has not expired. */
  async token(renew = false): Promise<string> {
    if (renew || this.#pending === undefined) {
      this.#pending = this.#fetch();
    }
    const pending = this.#pending;
    try {
      const cached = await pending;
      if (cached.renewAt > this.#clock.now()) {
        return cached.token;
      }
    } catch (error) {
      if (this.#pending === pending) {
        this.#pending = undefined;
      }
      throw error;
    }
    // Due for renewal: the first caller to notice starts it, the others share it.
    if (this.#pending === pending) {
      this.#pending = this.#fetch();
    }
    return (await this.#pending).token;
  }

  /** Forgets the cached token. */
  clear(): void {
    this.#pending = undefined;
  }

  async #fetch(): Promise<CachedToken> {
    const answer = await this.#grant();
    const token = answer.access_token;
    const now = this.#clock.now();
    const expiresAt =
      typeof answer.expires_in === 'number'
        ? now + answer.expires_in * 1000
        : expiresAtMs(jwtPayload(token));
    const margin =
      expiresAt === undefined ? 0 : Math.min(this.#clock.skewMs, (expiresAt - now) / 10);
    return {
      token,
      renewAt: expiresAt === undefined ? Number.POSITIVE_INFINITY : expiresAt - margin,
    };
  }
}
