/** How to reach Keycloak and which confidential client (the resource server) this service is. */
export interface KeycloakOptions {
  /** Base URL the service uses to reach Keycloak (the back channel). */
  readonly url: string;
  readonly realm: string;
  /** The `iss` of tokens issued by the realm. */
  readonly issuer: string;
  /** The resource server's client id (`album-api`). */
  readonly clientId: string;
  readonly clientSecret: string;
  /** The resource server client's internal id, for the admin API (partner shares). */
  readonly clientUuid?: string;
  /** Per request. */
  readonly timeoutMs: number;
}

export const KEYCLOAK_OPTIONS = Symbol('KEYCLOAK_OPTIONS');
