/** Requests at the dev realm's token endpoint that yield an RPT (the UMA grant) or refresh one. */
import { basic, tokenEndpoint } from './tokens.ts';

export interface TicketExchange {
  readonly status: number;
  readonly body: {
    access_token?: string;
    refresh_token?: string;
    error?: string;
    error_description?: string;
  };
}

/** Exchanges a permission ticket at the token endpoint, as the holder of `accessToken`. */
export async function exchangeTicket(
  ticket: string,
  auth: { bearer: string } | { clientId: string; secret: string },
  extra: Record<string, string> = {},
): Promise<TicketExchange> {
  const response = await fetch(tokenEndpoint(), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'bearer' in auth ? `Bearer ${auth.bearer}` : basic(auth.clientId, auth.secret),
    },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:uma-ticket',
      ticket,
      ...extra,
    }),
  });
  return { status: response.status, body: (await response.json()) as TicketExchange['body'] };
}

/** Keycloak's refresh grant for a token issued to the public `photoz-cli` client (e.g. an RPT). */
export async function refreshToken(
  token: string,
  clientId = 'photoz-cli',
): Promise<TicketExchange> {
  const response = await fetch(tokenEndpoint(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: token,
      client_id: clientId,
    }),
  });
  return { status: response.status, body: (await response.json()) as TicketExchange['body'] };
}

/** An RPT for explicit permissions (`<resourceId>#scope1,scope2`), without a ticket. */
export async function requestRpt(
  accessToken: string,
  permissions: readonly string[],
): Promise<TicketExchange> {
  const body = new URLSearchParams({
    grant_type: 'urn:ietf:params:oauth:grant-type:uma-ticket',
    audience: 'album-api',
  });
  for (const permission of permissions) {
    body.append('permission', permission);
  }
  const response = await fetch(tokenEndpoint(), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Bearer ${accessToken}`,
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as TicketExchange['body'] };
}
