import { Inject, Injectable } from '@nestjs/common';
import { keycloakErrorOf, keycloakFetch } from './keycloak-http.ts';
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
    const operation = 'submit permission request';
    // Keycloak's 403 `request_submitted` is the answer this call usually gets: an expected status.
    const response = await keycloakFetch(operation, tokenEndpoint, {
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
      expected: [200, 403],
    });
    if (response.status === 200) {
      return 'granted';
    }
    const refused = keycloakErrorOf(operation, response);
    if (refused.description === 'request_submitted') {
      return 'pending';
    }
    throw refused;
  }
}
