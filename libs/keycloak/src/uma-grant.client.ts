import { Inject, Injectable } from '@nestjs/common';
import { KeycloakError, keycloakFetch } from './keycloak-http.ts';
import { KeycloakDiscovery } from './keycloak-discovery.ts';
import { KEYCLOAK_OPTIONS, type KeycloakOptions } from './keycloak.options.ts';

/** What Keycloak made of a permission request. */
export type PermissionRequestOutcome = 'granted' | 'pending';

/**
 * The requesting party's side of the UMA grant: exchanges a permission ticket at the token
 * endpoint with the requester's own access token, asking Keycloak to record a request for the
 * owner when access is not granted yet.
 */
@Injectable()
export class UmaGrantClient {
  constructor(
    @Inject(KEYCLOAK_OPTIONS) private readonly options: KeycloakOptions,
    private readonly discovery: KeycloakDiscovery,
  ) {}

  /**
   * `granted` when Keycloak issues an RPT for the ticket, `pending` when it answers
   * `request_submitted`; any other refusal (an invalid or expired ticket) is a {@link KeycloakError}.
   */
  async submitRequest(ticket: string, requesterToken: string): Promise<PermissionRequestOutcome> {
    const { token_endpoint: tokenEndpoint } = await this.discovery.get();
    try {
      await keycloakFetch('submit permission request', tokenEndpoint, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${requesterToken}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:uma-ticket',
          ticket,
          submit_request: 'true',
        }),
        timeoutMs: this.options.timeoutMs,
        expected: [200],
      });
      return 'granted';
    } catch (error) {
      if (
        error instanceof KeycloakError &&
        error.status === 403 &&
        error.description === 'request_submitted'
      ) {
        return 'pending';
      }
      throw error;
    }
  }
}
