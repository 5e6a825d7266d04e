import { z } from 'zod';

/** Raised when the environment does not hold a valid configuration; the message names each bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parses `env` with `schema` and throws a {@link ConfigError} naming every invalid variable.
 * Values are never echoed, since some of them are secrets.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) {
    return result.data;
  }
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.map(String).join('.') || '(environment)';
    return `${variable}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration. ${problems.join('; ')}`);
}

/** A comma-separated list, trimmed, empty entries dropped. */
export const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

export const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a port number')
  .min(0, 'must be between 0 and 65535')
  .max(65_535, 'must be between 0 and 65535');

export const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .transform((value) => value.replace(/\/+$/, ''));

export const postgresUrl = z.url({
  protocol: /^postgres(ql)?$/,
  error: 'must be a postgres:// URL',
});

export const positiveInt = z.coerce.number().int('must be a whole number').positive('must be > 0');

/**
 * `UMA_DEPLOYMENT`: which deployment's Keycloak resources are this one's, when several share a
 * realm (the `deployment` attribute of every resource the album service registers). Both services
 * of a deployment must agree; by default both take the database name.
 */
export const umaDeployment = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . -')
  .optional();
