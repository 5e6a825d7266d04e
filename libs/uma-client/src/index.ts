/** A framework-free UMA 2.0 client for the Photoz API (browser and Node). */
export { UmaClient } from './uma-client.ts';
export { UNTRUSTED_AUTHORIZATION_SERVER } from './result.ts';
export type {
  PartnerCredentials,
  PersonCredentials,
  UmaClientOptions,
  UmaRequestInit,
} from './options.ts';
export type { FetchLike, ProblemDetails, UmaResult } from './types.ts';
export {
  Configuration,
  discovery,
  type ConfigurationOptions,
  type ServerMetadata,
} from './configuration.ts';
export {
  ClientSecretBasic,
  ClientSecretPost,
  None,
  type AuthenticatedClient,
  type ClientAuth,
  type OAuthClient,
} from './client-auth.ts';
export { AuthorizationServerError } from './authorization-server-error.ts';
export type { RequestingParty, TokenResponse } from './token-endpoint.ts';
export { clientCredentialsGrant } from './client-credentials.ts';
export {
  umaTicketGrant,
  UMA_TICKET_GRANT_TYPE,
  type UmaGrantOutcome,
  type UmaTicketGrantParameters,
} from './uma-grant.ts';
export {
  bearerError,
  findUmaChallenge,
  parseWwwAuthenticate,
  type AuthChallenge,
  type UmaChallenge,
} from './www-authenticate.ts';
