import { createPublicKey, type KeyObject } from 'node:crypto';
import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { JwksClient } from 'jwks-rsa';

const FAILED_REFRESH_PAUSE_MS = 1_000;

export interface VerificationKey {
  readonly key: KeyObject;
  /** The algorithm the realm announces for this key, when it announces one. */
  readonly alg: string | undefined;
}

export interface JwksKeyStoreOptions {
  readonly jwksUri: () => Promise<string>;
  readonly refreshMinIntervalMs: number;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

/**
 * The realm's signing keys, parsed once into `KeyObject`s. A token naming an unknown `kid`
 * triggers a JWKS refresh, but at most one per `refreshMinIntervalMs` (shared by all callers), so a
 * flood of bogus `kid`s costs Keycloak one request per interval, and a key rotation still works
 * without a restart.
 */
export class JwksKeyStore implements OnApplicationBootstrap {
  private readonly logger = new Logger(JwksKeyStore.name);
  private keys = new Map<string, VerificationKey>();
  private lastRefreshAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: JwksKeyStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The key for `kid`, or `undefined` when the realm does not publish it (after an allowed refresh). */
  async find(kid: string): Promise<VerificationKey | undefined> {
    const known = this.keys.get(kid);
    if (known !== undefined) {
      return known;
    }
    if (
      this.inflight === undefined &&
      this.now() - this.lastRefreshAt >= this.options.refreshMinIntervalMs
    ) {
      this.inflight = this.refresh().finally(() => {
        this.inflight = undefined;
      });
    }
    if (this.inflight !== undefined) {
      await this.inflight.catch(() => undefined);
    }
    return this.keys.get(kid);
  }

  /** Loads the keys ahead of the first request; a failure here is retried on demand. */
  onApplicationBootstrap(): void {
    this.refresh().catch(() => undefined);
  }

  /**
   * Fetches the JWKS now; on failure the keys already known stay in use, and another attempt is
   * allowed after a short pause rather than a whole interval.
   */
  async refresh(): Promise<void> {
    this.lastRefreshAt = this.now();
    try {
      const client = new JwksClient({
        jwksUri: await this.options.jwksUri(),
        cache: false,
        rateLimit: false,
        timeout: this.options.timeoutMs,
      });
      const signingKeys = await client.getSigningKeys();
      const keys = new Map<string, VerificationKey>();
      for (const signingKey of signingKeys) {
        keys.set(signingKey.kid, {
          key: createPublicKey(signingKey.getPublicKey()),
          alg: typeof signingKey.alg === 'string' ? signingKey.alg : undefined,
        });
      }
      this.keys = keys;
    } catch (error) {
      this.lastRefreshAt = this.now() - this.options.refreshMinIntervalMs + FAILED_REFRESH_PAUSE_MS;
      this.logger.warn(
        `JWKS refresh failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      throw error;
    }
  }
}
