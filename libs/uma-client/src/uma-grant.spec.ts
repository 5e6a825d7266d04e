import { describe, expect, it } from 'vitest';
import { AuthorizationServerError } from './authorization-server-error.ts';
import { ClientSecretBasic, ClientSecretPost, None } from './client-auth.ts';
import { Configuration } from './configuration.ts';
import type { ProblemDetails } from './types.ts';
import { FakeUmaStack, ISSUER, PARTNER, TOKEN_ENDPOINT } from './testing/fake-uma-stack.ts';
import { refusedBearerToken, UMA_TICKET_GRANT_TYPE, umaTicketGrant } from './uma-grant.ts';

const JDOE = 'jdoe-sub';
const PARTNER_SUB = `service-account-${PARTNER.clientId}`;

function setUp(): { stack: FakeUmaStack; configuration: Configuration } {
  const stack = new FakeUmaStack();
  const configuration = new Configuration(
    { issuer: ISSUER, token_endpoint: TOKEN_ENDPOINT },
    { fetch: stack.fetch },
  );
  return { stack, configuration };
}

describe('umaTicketGrant', () => {
  it('trades a ticket for an RPT as a person, with the access token as Bearer', async () => {
    const { stack, configuration } = setUp();
    stack.grant(JDOE, 'res-a', 'album:view');
    const accessToken = stack.accessToken(JDOE);
    const ticket = stack.ticket('res-a', 'album:view');

    const outcome = await umaTicketGrant(configuration, { accessToken }, { ticket });

    expect(outcome.kind).toBe('rpt');
    const rpt = outcome.kind === 'rpt' ? outcome.rpt : '';
    expect(stack.claims(rpt)?.authorization?.permissions).toEqual([
      { rsid: 'res-a', scopes: ['album:view'] },
    ]);
    const [call] = stack.calls;
    expect(call?.url).toBe(TOKEN_ENDPOINT);
    expect(call?.authorization).toBe(`Bearer ${accessToken}`);
    expect(call?.form).toEqual({ grant_type: UMA_TICKET_GRANT_TYPE, ticket });
  });

  it('authenticates a partner the way its ClientAuth says: Basic header, or the form', async () => {
    const { stack, configuration } = setUp();
    stack.grant(PARTNER_SUB, 'res-a', 'album:view');
    const ticket = stack.ticket('res-a', 'album:view');

    const basic = await umaTicketGrant(
      configuration,
      { clientId: PARTNER.clientId, clientAuthentication: ClientSecretBasic(PARTNER.clientSecret) },
      { ticket },
    );
    const post = await umaTicketGrant(
      configuration,
      { clientId: PARTNER.clientId, clientAuthentication: ClientSecretPost(PARTNER.clientSecret) },
      { ticket },
    );

    expect([basic.kind, post.kind]).toEqual(['rpt', 'rpt']);
    const [viaBasic, viaPost] = stack.calls;
    expect(viaBasic?.authorization).toMatch(/^Basic /);
    expect(viaBasic?.form).not.toHaveProperty('client_secret');
    expect(viaPost?.authorization).toBeNull();
    expect(viaPost?.form).toMatchObject({
      client_id: PARTNER.clientId,
      client_secret: PARTNER.clientSecret,
    });
  });

  it('throws the refusal of a partner that proves nothing (None)', async () => {
    const { stack, configuration } = setUp();
    stack.grant(PARTNER_SUB, 'res-a', 'album:view');

    const refused = umaTicketGrant(
      configuration,
      { clientId: PARTNER.clientId, clientAuthentication: None() },
      { ticket: stack.ticket('res-a', 'album:view') },
    );

    await expect(refused).rejects.toBeInstanceOf(AuthorizationServerError);
    await expect(refused).rejects.toMatchObject({ status: 401, code: 'invalid_client' });
    expect(stack.calls[0]?.form).toMatchObject({ client_id: PARTNER.clientId });
    expect(stack.calls[0]?.form).not.toHaveProperty('client_secret');
  });

  it('answers access-requested by default, no-access with submitRequest false', async () => {
    const { stack, configuration } = setUp();
    const party = { accessToken: stack.accessToken(JDOE) };
    const ticket = stack.ticket('res-a', 'album:view');

    expect(await umaTicketGrant(configuration, party, { ticket })).toEqual({
      kind: 'access-requested',
    });
    expect(await umaTicketGrant(configuration, party, { ticket, submitRequest: false })).toEqual({
      kind: 'no-access',
    });
    expect(stack.umaExchanges().map((call) => call.form?.['submit_request'])).toEqual([
      undefined,
      'false',
    ]);
    expect(stack.submitted).toEqual([{ sub: JDOE, rsid: 'res-a' }]);
  });

  it('sends the RPT to upgrade, and the new RPT lists both', async () => {
    const { stack, configuration } = setUp();
    stack.grant(JDOE, 'res-a', 'album:view');
    stack.grant(JDOE, 'res-b', 'album:view');
    const party = { accessToken: stack.accessToken(JDOE) };
    const first = await umaTicketGrant(configuration, party, {
      ticket: stack.ticket('res-a', 'album:view'),
    });
    const rpt = first.kind === 'rpt' ? first.rpt : '';

    const second = await umaTicketGrant(configuration, party, {
      ticket: stack.ticket('res-b', 'album:view'),
      rpt,
    });

    expect(stack.umaExchanges()[1]?.form?.['rpt']).toBe(rpt);
    const upgraded = second.kind === 'rpt' ? second.rpt : '';
    expect(stack.claims(upgraded)?.authorization?.permissions.map((p) => p.rsid)).toEqual([
      'res-a',
      'res-b',
    ]);
  });
});

describe('refusedBearerToken', () => {
  const error = (status: number, body: ProblemDetails): AuthorizationServerError =>
    new AuthorizationServerError(status, body, new Response(null, { status }));

  it("recognises Keycloak's refusals of an ended session's token, and nothing else", () => {
    expect(refusedBearerToken(error(401, {}))).toBe(true);
    expect(
      refusedBearerToken(
        error(400, { error: 'invalid_grant', error_description: 'Invalid bearer token' }),
      ),
    ).toBe(true);
    expect(
      refusedBearerToken(
        error(400, { error: 'invalid_grant', error_description: 'invalid_ticket' }),
      ),
    ).toBe(false);
    expect(refusedBearerToken(error(403, { error: 'access_denied' }))).toBe(false);
  });
});
