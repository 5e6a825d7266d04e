/** A framework-free UMA 2.0 client for the Photoz API (browser and Node). */
export { UmaClient, UNTRUSTED_AUTHORIZATION_SERVER } from './uma-client.ts';
export type {
  FetchLike,
  PartnerCredentials,
  PersonCredentials,
  ProblemDetails,
  UmaClientOptions,
  UmaRequestInit,
  UmaResult,
} from './types.ts';
export {
  bearerError,
  findUmaChallenge,
  parseWwwAuthenticate,
  type AuthChallenge,
  type UmaChallenge,
} from './www-authenticate.ts';
