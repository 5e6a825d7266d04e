import { AuthorizationServerError } from './authorization-server-error.ts';
import type { FetchLike } from './types.ts';

/** The authorization server's metadata the client relies on (RFC 8414 §2, UMA 2.0 Grant §2). */
export interface ServerMetadata {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly [parameter: string]: unknown;
}

export interface ConfigurationOptions {
  /** `fetch` for the authorization server's endpoints; the global one by default. */
  readonly fetch?: FetchLike;
}

/**
 * One authorization server as the client uses it: its metadata and the `fetch` that reaches it.
 * Obtained from `discovery` (which checks the issuer) or built from metadata known in advance.
 *
 * It names no requesting party: each grant function takes the party (a person's access token, or a
 * partner's client authentication), so one configuration serves people and partners alike.
 */
export class Configuration {
  /** The `fetch` used for the token endpoint. */
  readonly fetch: FetchLike;
  readonly #metadata: ServerMetadata;

  constructor(metadata: ServerMetadata, options: ConfigurationOptions = {}) {
    if (typeof metadata.issuer !== 'string' || !URL.canParse(metadata.issuer)) {
      throw new Error('Configuration needs the issuer, a URL');
    }
    if (typeof metadata.token_endpoint !== 'string' || !URL.canParse(metadata.token_endpoint)) {
      throw new Error(`the metadata of ${metadata.issuer} names no token_endpoint`);
    }
    this.#metadata = Object.freeze({ ...metadata });
    const fetchFn = options.fetch ?? globalThis.fetch;
    // Called unbound: a browser's `fetch` must not be called as a method of another object.
    this.fetch = (input, init) => fetchFn(input, init);
  }

  /** The metadata, as discovered or given. */
  serverMetadata(): ServerMetadata {
    return this.#metadata;
  }

  get issuer(): string {
    return this.#metadata.issuer;
  }

  get tokenEndpoint(): string {
    return this.#metadata.token_endpoint;
  }
}

/**
 * Reads the issuer's UMA 2.0 metadata (`<issuer>/.well-known/uma2-configuration`, where Keycloak
 * publishes it) into a `Configuration`. The metadata must name exactly this issuer (RFC 8414 §3.3,
 * OIDC Discovery §4.3), so a token endpoint is only ever taken from the server the caller trusts.
 * A refused request throws an `AuthorizationServerError`.
 */
export async function discovery(
  issuer: string,
  options: ConfigurationOptions = {},
): Promise<Configuration> {
  if (typeof issuer !== 'string' || !URL.canParse(issuer)) {
    throw new Error('discovery needs the issuer, a URL');
  }
  const fetchFn = options.fetch ?? globalThis.fetch;
  const metadataUrl = `${issuer.replace(/\/+$/, '')}/.well-known/uma2-configuration`;
  const response = await fetchFn(metadataUrl, { headers: { accept: 'application/json' } });
  if (!response.ok) {
    throw await AuthorizationServerError.from(response);
  }
  const metadata = (await response.json()) as Partial<ServerMetadata>;
  if (metadata.issuer !== issuer) {
    throw new Error(`${metadataUrl} names another issuer than ${issuer}`);
  }
  if (typeof metadata.token_endpoint !== 'string') {
    throw new Error(`${metadataUrl} names no token_endpoint`);
  }
  return new Configuration(
    { ...metadata, issuer, token_endpoint: metadata.token_endpoint },
    options,
  );
}

/**
 * `discovery` run on first use and shared by concurrent callers; a failed one is forgotten, so the
 * next call tries again.
 */
export function lazyDiscovery(
  issuer: string,
  options: ConfigurationOptions = {},
): () => Promise<Configuration> {
  let pending: Promise<Configuration> | undefined;
  return () => {
    if (pending === undefined) {
      const started = discovery(issuer, options);
      pending = started;
      started.catch(() => {
        if (pending === started) {
          pending = undefined;
        }
      });
    }
    return pending;
  };
}
