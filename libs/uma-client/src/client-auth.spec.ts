import { describe, expect, it } from 'vitest';
import { ClientSecretBasic, ClientSecretPost, None } from './client-auth.ts';

const CLIENT = { clientId: 'partner-printshop' };
/** A secret with characters that form-encoding changes: `:`, space, `/` and a non-ASCII letter. */
const SECRET = 's3cret: +/é';

function apply(auth: ReturnType<typeof None>): { body: Record<string, string>; headers: Headers } {
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  const headers = new Headers();
  auth(CLIENT, body, headers);
  return { body: Object.fromEntries(body), headers };
}

describe('client authentication', () => {
  it('ClientSecretBasic: id and secret form-encoded, then base64 in an HTTP Basic header', () => {
    const { body, headers } = apply(ClientSecretBasic(SECRET));

    // RFC 6749 §2.3.1: application/x-www-form-urlencoded before base64.
    const encoded = 'partner-printshop:s3cret%3A+%2B%2F%C3%A9';
    expect(headers.get('authorization')).toBe(`Basic ${btoa(encoded)}`);
    expect(body).toEqual({ grant_type: 'client_credentials' });
  });

  it('ClientSecretPost: client_id and client_secret in the form, no Authorization header', () => {
    const { body, headers } = apply(ClientSecretPost(SECRET));

    expect(body).toEqual({
      grant_type: 'client_credentials',
      client_id: 'partner-printshop',
      client_secret: SECRET,
    });
    expect(headers.get('authorization')).toBeNull();
  });

  it('None: client_id only', () => {
    const { body, headers } = apply(None());

    expect(body).toEqual({ grant_type: 'client_credentials', client_id: 'partner-printshop' });
    expect(headers.get('authorization')).toBeNull();
  });
});
