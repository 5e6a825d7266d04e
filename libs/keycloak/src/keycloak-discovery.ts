import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { keycloakFetch } from './keycloak-http.ts';
import { KEYCLOAK_OPTIONS, type KeycloakOptions } from './keycloak.options.ts';
import { parseUmaConfiguration, type UmaConfiguration } from './uma-configuration.ts';

const MAX_BACKOFF_MS = 30_000;

/**
 * Loads the realm's UMA discovery document once and keeps it. Boot does not wait for Keycloak:
 * loading is retried in the background with backoff, and readiness reports whether it is loaded.
 */
@Injectable()
export class KeycloakDiscovery implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(KeycloakDiscovery.name);
  private configuration: UmaConfiguration | undefined;
  private inflight: Promise<UmaConfiguration> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(@Inject(KEYCLOAK_OPTIONS) private readonly options: KeycloakOptions) {}

  get loaded(): boolean {
    return this.configuration !== undefined;
  }

  get discoveryUrl(): string {
    return `${this.options.url}/realms/${encodeURIComponent(this.options.realm)}/.well-known/uma2-configuration`;
  }

  /** The discovery document; loads it (single-flight) when it is not loaded yet. */
  async get(): Promise<UmaConfiguration> {
    if (this.configuration !== undefined) {
      return this.configuration;
    }
    this.inflight ??= this.load().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  onApplicationBootstrap(): void {
    this.retryInBackground(500);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  private retryInBackground(delayMs: number): void {
    this.get().catch((error: unknown) => {
      if (this.stopped) {
        return;
      }
      this.logger.warn(
        `Keycloak discovery not loaded yet (${error instanceof Error ? error.message : String(error)}); retrying in ${delayMs} ms`,
      );
      this.retryTimer = setTimeout(
        () => this.retryInBackground(Math.min(delayMs * 2, MAX_BACKOFF_MS)),
        delayMs,
      );
      this.retryTimer.unref();
    });
  }

  private async load(): Promise<UmaConfiguration> {
    const response = await keycloakFetch('discovery', this.discoveryUrl, {
      timeoutMs: this.options.timeoutMs,
      expected: [200],
    });
    const configuration = parseUmaConfiguration(response.body);
    if (configuration.issuer !== this.options.issuer) {
      this.logger.warn(
        `Keycloak announces issuer ${configuration.issuer} but tokens are expected from ${this.options.issuer}`,
      );
    }
    this.configuration = configuration;
    this.logger.log(`Keycloak discovery loaded for realm ${this.options.realm}`);
    return configuration;
  }
}
