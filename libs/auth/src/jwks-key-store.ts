import { createPublicKey, type KeyObject } from 'node:crypto';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { JwksClient } from 'jwks-rsa';
import { log, metrics } from '@app/observability';

const jwksLog = log.child({ component: 'jwks' });

const FAILED_REFRESH_PAUSE_MS = 1_000;

export interface VerificationKey {
  readonly key: KeyObject;
  /** The algorithm the realm announces for this key, when it announces one. */
  readonly alg: string | undefined;
}

export interface JwksKeyStoreOptions {
  readonly jwksUri: () => Promise<string>;
  /** An unknown `kid` refreshes the JWKS at most once per this interval. */
  readonly refreshMinIntervalMs: number;
  /** The JWKS is also re-read this often, so that keys removed from the realm stop being trusted. */
  readonly refreshIntervalMs: number;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

/**
 * The realm's signing keys, parsed once into `KeyObject`s.
 *
 * The JWKS is re-read every `refreshIntervalMs`, and each successful read replaces the whole set:
 * a key the realm no longer publishes (say, a compromised one whose provider was deleted) is
 * refused from then on, without a restart. A failed read keeps the keys already known, because
 * Keycloak being down must not lock every caller out.
 *
 * A token naming an unknown `kid` also triggers a read, but at most one per `refreshMinIntervalMs`
 * (shared by all callers), so a flood of bogus `kid`s costs Keycloak one request per interval,
 * and a key rotation works without waiting for the schedule.
 */
export class JwksKeyStore implements OnApplicationBootstrap, OnApplicationShutdown {
  private keys = new Map<string, VerificationKey>();
  /** When an unknown `kid` last caused a read; scheduled reads leave it alone (see `find`). */
  private lastRefreshAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
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
    // The throttle counts only reads caused by unknown kids: were a scheduled read to count, a
    // key rotated in just after it would be refused until the throttle let the next read through.
    if (
      this.inflight === undefined &&
      this.now() - this.lastRefreshAt >= this.options.refreshMinIntervalMs
    ) {
      this.lastRefreshAt = this.now();
      this.refresh().catch(() => {
        // Another attempt soon rather than a whole interval later: a short outage must not
        // refuse a newly rotated key for long.
        this.lastRefreshAt =
          this.now() - this.options.refreshMinIntervalMs + FAILED_REFRESH_PAUSE_MS;
      });
    }
    if (this.inflight !== undefined) {
      await this.inflight.catch(() => undefined);
    }
    return this.keys.get(kid);
  }

  /** Whether the realm published `kid` at the last successful read. */
  publishes(kid: string): boolean {
    return this.keys.has(kid);
  }

  /** Loads the keys ahead of the first request and starts the periodic refresh. */
  onApplicationBootstrap(): void {
    // A failure here is retried on demand and on schedule.
    this.refresh().catch(() => undefined);
    this.timer ??= setInterval(() => {
      // Keeps the known keys; `load` has logged why.
      this.refresh().catch(() => undefined);
    }, this.options.refreshIntervalMs);
    // The schedule alone must never keep the process alive.
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Reads the JWKS now, one read at a time whoever asks: callers arriving meanwhile share it, so
   * an older answer can never overwrite a newer one.
   */
  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /**
   * Replaces the known keys with exactly the published ones; on failure they stay in use. Each read
   * is counted in `photoz_jwks_refreshes_total{result}` and logged with the number of keys (never
   * key material).
   */
  private async load(): Promise<void> {
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
      const before = this.keys;
      this.keys = keys;
      metrics.jwksRefreshes.inc({ result: 'success' });
      jwksLog.info(
        {
          event: 'jwks.refresh',
          result: 'success',
          keys: keys.size,
          added: [...keys.keys()].filter((kid) => !before.has(kid)).length,
          removed: [...before.keys()].filter((kid) => !keys.has(kid)).length,
        },
        'JWKS read',
      );
    } catch (error) {
      metrics.jwksRefreshes.inc({ result: 'failure' });
      jwksLog.warn(
        {
          event: 'jwks.refresh',
          result: 'failure',
          keys: this.keys.size,
          error: error instanceof Error ? error.message : String(error),
        },
        'JWKS refresh failed, keeping the known keys',
      );
      throw error;
    }
  }
}
