import { type DynamicModule, Logger, type LogLevel } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { tokenRefusal } from '@app/auth';
import { ConfigError, createHttpApp, type ServiceConfig } from '@app/common';
import { log, ManagementServer } from '@app/observability';
import { KeycloakUnavailableFilter } from './keycloak-unavailable.filter.ts';

export interface ServiceDefinition<C extends ServiceConfig> {
  readonly name: string;
  readonly description: string;
  loadConfig(env: Record<string, string | undefined>): C;
  module(config: C): DynamicModule;
  /** Registers Fastify plugins (e.g. multipart) before the application initialises. */
  readonly configure?: (app: NestFastifyApplication) => Promise<void>;
}

/**
 * Builds a service's HTTP application from its configuration, without listening; an unreachable
 * Keycloak is a `503` on every route of every service ({@link KeycloakUnavailableFilter}).
 */
export async function createServiceApp<C extends ServiceConfig>(
  definition: ServiceDefinition<C>,
  config: C,
  logLevels?: LogLevel[],
): Promise<NestFastifyApplication> {
  const app = await createHttpApp(definition.module(config), {
    title: definition.name,
    description: definition.description,
    corsOrigins: config.http.corsOrigins,
    limits: config.httpLimits,
    tokenRequired: () => tokenRefusal(config.keycloak.realm),
    logLevels,
  });
  // Nest tries global filters from the last registered to the first: registered after the
  // catch-all problem-details filter of createHttpApp, this one sees Keycloak's outages first.
  // (An APP_FILTER provider would be registered before it, and never be reached.)
  app.useGlobalFilters(new KeycloakUnavailableFilter());
  await definition.configure?.(app);
  return app;
}

/** What a service's `main` adds to {@link runService}. */
export interface RunServiceOptions {
  /**
   * Runs once on SIGTERM/SIGINT, after the HTTP server has answered its last request and before
   * the process ends (flushing traces: `startTracing` of `@app/observability`); it must not throw.
   */
  readonly onShutdown?: () => Promise<void>;
}

/**
 * The `main` of a service: validates configuration (a bad variable ends the process with one
 * clear line), builds the application and listens until SIGTERM or SIGINT.
 */
export async function runService<C extends ServiceConfig>(
  definition: ServiceDefinition<C>,
  options: RunServiceOptions = {},
): Promise<void> {
  let config: C;
  try {
    config = definition.loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      // pino writes what it still holds before the process exits.
      log.fatal({ event: 'config.invalid', service: definition.name }, error.message);
      process.exit(1);
    }
    throw error;
  }
  const app = await createServiceApp(definition, config);
  const { onShutdown } = options;
  if (onShutdown !== undefined) {
    // Fastify runs its onClose hooks within Nest's shutdown, once in-flight requests are done.
    const fastify = app.getHttpAdapter().getInstance();
    fastify.addHook('onClose', () => onShutdown());
  }
  await app.listen(config.http.port, config.http.host);
  const logger = new Logger(definition.name);
  logger.log(`Listening on ${await app.getUrl()}`);
  const management = new ManagementServer(config.management);
  logger.log(`Metrics on ${await management.start()}/metrics`);
}
