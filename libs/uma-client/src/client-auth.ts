/** A client as the authorization server knows it. */
export interface OAuthClient {
  readonly clientId: string;
}

/**
 * How a client authenticates at the token endpoint (RFC 6749 §2.3): adds its credentials to the
 * form or to the headers of a token request. It is applied to requests to the configured issuer's
 * token endpoint only, so a secret goes nowhere else.
 */
export type ClientAuth = (client: OAuthClient, body: URLSearchParams, headers: Headers) => void;

/** A client with the way it authenticates, e.g. a partner application with a service account. */
export interface AuthenticatedClient extends OAuthClient {
  readonly clientAuthentication: ClientAuth;
}

/**
 * `client_secret_basic`: the id and the secret in an HTTP `Basic` header, each form-encoded first
 * (RFC 6749 §2.3.1). Keycloak's default for confidential clients, and this client's.
 */
export function ClientSecretBasic(clientSecret: string): ClientAuth {
  return (client, _body, headers) => {
    // Form-encoded text is ASCII, so `btoa` is safe.
    const pair = `${formEncode(client.clientId)}:${formEncode(clientSecret)}`;
    headers.set('authorization', `Basic ${btoa(pair)}`);
  };
}

/** `client_secret_post`: the id and the secret as `client_id` and `client_secret` in the form. */
export function ClientSecretPost(clientSecret: string): ClientAuth {
  return (client, body) => {
    body.set('client_id', client.clientId);
    body.set('client_secret', clientSecret);
  };
}

/** `none`: a public client, named by `client_id` in the form and proving nothing. */
export function None(): ClientAuth {
  return (client, body) => {
    body.set('client_id', client.clientId);
  };
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
