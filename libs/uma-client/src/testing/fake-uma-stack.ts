import { base64UrlDecode } from '../jwt.ts';

/**
 * An in-memory API and authorization server for the client's unit tests, reached through an
 * injected `fetch`. Tokens are unsigned JWT-shaped strings; the fake behaves like the Photoz API
 * (`@Scopes` routes, UMA challenge, RPT refused elsewhere) and like Keycloak's UMA grant.
 */
export const API = 'http://api.test';
export const ISSUER = 'http://as.test/realms/photoz';
export const TOKEN_ENDPOINT = `${ISSUER}/protocol/openid-connect/token`;
export const PARTNER = { clientId: 'partner-printshop', clientSecret: 's3cret: +/é' };
/** A server that poses as an authorization server: it names itself in UMA challenges. */
export const HOSTILE = 'http://evil.test';

interface Claims {
  sub: string;
  exp: number;
  typ: 'access' | 'rpt' | 'ticket';
  jti: number;
  authorization?: { permissions: { rsid: string; scopes: string[] }[] };
  permissions?: { rsid: string; scopes: string[] }[];
}

export interface RecordedCall {
  readonly url: string;
  readonly method: string;
  readonly authorization: string | null;
  readonly form?: Record<string, string>;
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function problem(status: number, title: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ type: 'about:blank', title, status }), {
    status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8', ...headers },
  });
}

function invalidToken(description: string): Response {
  return problem(401, 'Unauthorized', {
    'www-authenticate': `Bearer realm="photoz", error="invalid_token", error_description="${description}"`,
  });
}

export class FakeUmaStack {
  readonly calls: RecordedCall[] = [];
  /** subject → resource id → scopes the subject holds now */
  readonly grants = new Map<string, Map<string, Set<string>>>();
  /** (subject, resource id) pairs the owner was asked about */
  readonly submitted: { sub: string; rsid: string }[] = [];
  /** tokens the API (and Keycloak) now treat as expired */
  readonly expired = new Set<string>();
  /** tokens whose session Keycloak has ended: its token endpoint refuses them, the API still reads them */
  readonly sessionEnded = new Set<string>();
  /** the API refuses every token with `audience not accepted` */
  refuseAudience = false;
  /** resources whose RPT permissions the API no longer honours (its record of current grants lacks them) */
  readonly notHonoured = new Set<string>();
  /** The `as_uri` the API names in its challenges (another server: a compromised or spoofed API). */
  challengeAsUri = ISSUER;
  /** The `issuer` the authorization server's metadata names. */
  metadataIssuer = ISSUER;
  private next = 0;
  nowSeconds = Math.floor(Date.now() / 1000);

  readonly fetch = async (input: string, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input);
    const headers = new Headers(init.headers);
    const method = init.method ?? 'GET';
    let form: Record<string, string> | undefined;
    if (typeof init.body === 'string' && headers.get('content-type')?.includes('urlencoded')) {
      form = Object.fromEntries(new URLSearchParams(init.body));
    }
    this.calls.push({
      url: url.href,
      method,
      authorization: headers.get('authorization'),
      ...(form === undefined ? {} : { form }),
    });
    await Promise.resolve();
    if (url.origin === new URL(ISSUER).origin) {
      return this.authorizationServer(url, headers, form ?? {});
    }
    if (url.origin === HOSTILE) {
      return this.hostile(url);
    }
    return this.api(url, method, headers);
  };

  /** An access token for a person. */
  accessToken(sub: string, lifetimeSeconds = 300): string {
    return this.mint({ sub, typ: 'access', exp: this.nowSeconds + lifetimeSeconds });
  }

  /** A permission ticket for the resource and scopes, as the API puts in its challenges. */
  ticket(rsid: string, ...scopes: string[]): string {
    return this.mint({
      sub: 'album-api',
      typ: 'ticket',
      exp: this.nowSeconds + 300,
      permissions: [{ rsid, scopes }],
    });
  }

  grant(sub: string, rsid: string, ...scopes: string[]): void {
    const held = this.grants.get(sub) ?? new Map<string, Set<string>>();
    held.set(rsid, new Set([...(held.get(rsid) ?? []), ...scopes]));
    this.grants.set(sub, held);
  }

  revoke(sub: string, rsid: string): void {
    this.grants.get(sub)?.delete(rsid);
  }

  claims(token: string): Claims | undefined {
    try {
      return JSON.parse(base64UrlDecode(token.split('.')[1] ?? '')) as Claims;
    } catch {
      return undefined;
    }
  }

  /** Calls to the token endpoint with the UMA grant. */
  umaExchanges(): RecordedCall[] {
    return this.calls.filter(
      (call) => call.form?.['grant_type'] === 'urn:ietf:params:oauth:grant-type:uma-ticket',
    );
  }

  apiCalls(): RecordedCall[] {
    return this.calls.filter((call) => call.url.startsWith(API));
  }

  /** Calls that reached the hostile server. */
  hostileCalls(): RecordedCall[] {
    return this.calls.filter((call) => call.url.startsWith(HOSTILE));
  }

  private mint(claims: Omit<Claims, 'jti'>): string {
    this.next += 1;
    return `${encode({ alg: 'none' })}.${encode({ ...claims, jti: this.next })}.sig`;
  }

  private valid(token: string | undefined): Claims | undefined {
    if (token === undefined || this.expired.has(token)) {
      return undefined;
    }
    const claims = this.claims(token);
    return claims !== undefined && claims.exp > this.nowSeconds ? claims : undefined;
  }

  private holds(sub: string, rsid: string, scope: string): boolean {
    return this.grants.get(sub)?.get(rsid)?.has(scope) ?? false;
  }

  private api(url: URL, method: string, headers: Headers): Response {
    const token = /^Bearer (.+)$/.exec(headers.get('authorization') ?? '')?.[1];
    const claims = this.valid(token);
    if (claims === undefined) {
      return invalidToken('token expired');
    }
    if (this.refuseAudience) {
      return invalidToken('audience not accepted');
    }
    const album = /^\/albums\/([^/]+)(\/photos\/[^/]+\/content)?$/.exec(url.pathname);
    if (album === null) {
      if (claims.typ === 'rpt') {
        return invalidToken('an RPT is accepted only where a permission is asked for');
      }
      return json(200, { subject: claims.sub });
    }
    const id = album[1] ?? '';
    if (id === 'missing') {
      return problem(404, 'Not Found');
    }
    if (id === 'unregistered') {
      return problem(403, 'Not shareable yet', { 'retry-after': '5' });
    }
    const rsid = `res-${id}`;
    const scope = method === 'GET' ? 'album:view' : 'album:delete';
    const listed = claims.authorization?.permissions.some(
      (permission) => permission.rsid === rsid && permission.scopes.includes(scope),
    );
    const honoured = this.holds(claims.sub, rsid, scope) && !this.notHonoured.has(rsid);
    if (claims.typ === 'rpt' && listed === true && honoured) {
      if (album[2] !== undefined) {
        return new Response(new Uint8Array([1, 2, 3]), {
          status: 200,
          headers: { 'content-type': 'image/png' },
        });
      }
      return json(200, { id, name: `Album ${id}` });
    }
    const ticket = this.ticket(rsid, scope);
    return problem(401, 'Permission required', {
      'www-authenticate': `UMA realm="photoz", as_uri="${this.challengeAsUri}", ticket="${ticket}"`,
    });
  }

  /** Names itself as the authorization server of everything, and takes whatever is sent. */
  private hostile(url: URL): Response {
    if (url.pathname.includes('/.well-known/')) {
      return json(200, { issuer: HOSTILE, token_endpoint: `${HOSTILE}/token` });
    }
    if (url.pathname === '/token') {
      return json(200, {
        access_token: this.mint({ sub: 'evil', typ: 'rpt', exp: this.nowSeconds + 300 }),
      });
    }
    const ticket = this.mint({
      sub: 'evil',
      typ: 'ticket',
      exp: this.nowSeconds + 300,
      permissions: [{ rsid: 'res-a', scopes: ['album:view'] }],
    });
    return problem(401, 'Permission required', {
      'www-authenticate': `UMA realm="photoz", as_uri="${HOSTILE}", ticket="${ticket}"`,
    });
  }

  private authorizationServer(url: URL, headers: Headers, form: Record<string, string>): Response {
    if (url.pathname.endsWith('/.well-known/uma2-configuration')) {
      return json(200, { issuer: this.metadataIssuer, token_endpoint: TOKEN_ENDPOINT });
    }
    if (url.pathname.endsWith('/.well-known/openid-configuration')) {
      return json(200, { issuer: this.metadataIssuer, token_endpoint: TOKEN_ENDPOINT });
    }
    if (url.href !== TOKEN_ENDPOINT) {
      return json(404, { error: 'not_found' });
    }
    const authorization = headers.get('authorization') ?? '';
    let sub: string | undefined;
    let asClient = false;
    if (authorization.startsWith('Basic ')) {
      const expected = `Basic ${Buffer.from(
        `${encodeURIComponent(PARTNER.clientId)}:${encodeURIComponent(PARTNER.clientSecret)}`,
      ).toString('base64')}`;
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString();
      const [id, secret] = decoded
        .split(':')
        .map((part) => decodeURIComponent(part.replaceAll('+', ' ')));
      if (
        authorization !== expected &&
        !(id === PARTNER.clientId && secret === PARTNER.clientSecret)
      ) {
        return json(401, { error: 'invalid_client' });
      }
      sub = `service-account-${PARTNER.clientId}`;
      asClient = true;
    } else if (form['client_id'] !== undefined) {
      // client_secret_post; without a secret (`none`) the confidential partner is refused.
      if (
        form['client_id'] !== PARTNER.clientId ||
        form['client_secret'] !== PARTNER.clientSecret
      ) {
        return json(401, { error: 'invalid_client' });
      }
      sub = `service-account-${PARTNER.clientId}`;
      asClient = true;
    } else {
      const token = /^Bearer (.+)$/.exec(authorization)?.[1];
      const bearer = this.valid(token);
      if (bearer === undefined || bearer.typ !== 'access' || this.sessionEnded.has(token ?? '')) {
        // Keycloak 26.7.3 answers 400 here (26.5.6 answered 401).
        return json(400, { error: 'invalid_grant', error_description: 'Invalid bearer token' });
      }
      sub = bearer.sub;
    }
    if (form['grant_type'] === 'client_credentials') {
      if (!asClient) {
        return json(401, { error: 'unauthorized_client' });
      }
      return json(200, { access_token: this.accessToken(sub, 60), expires_in: 60 });
    }
    if (form['grant_type'] !== 'urn:ietf:params:oauth:grant-type:uma-ticket') {
      return json(400, { error: 'unsupported_grant_type' });
    }
    const ticket = this.valid(form['ticket']);
    if (ticket === undefined || ticket.typ !== 'ticket') {
      return json(400, { error: 'invalid_grant', error_description: 'invalid_ticket' });
    }
    let previous: { rsid: string; scopes: string[] }[] = [];
    if (form['rpt'] !== undefined) {
      const rpt = this.valid(form['rpt']);
      if (rpt === undefined || rpt.typ !== 'rpt') {
        return json(400, { error: 'invalid_request', error_description: 'Invalid RPT' });
      }
      previous = rpt.authorization?.permissions ?? [];
    }
    const requested = ticket.permissions ?? [];
    const subject = sub;
    const granted = requested.every((permission) =>
      permission.scopes.every((scope) => this.holds(subject, permission.rsid, scope)),
    );
    if (!granted) {
      if (form['submit_request'] === 'false') {
        return json(403, { error: 'access_denied', error_description: 'not_authorized' });
      }
      for (const permission of requested) {
        this.submitted.push({ sub: subject, rsid: permission.rsid });
      }
      return json(403, { error: 'access_denied', error_description: 'request_submitted' });
    }
    // Previous permissions are evaluated again, as Keycloak does when upgrading.
    const permissions = new Map<string, Set<string>>();
    for (const permission of [...previous, ...requested]) {
      for (const scope of permission.scopes) {
        if (this.holds(subject, permission.rsid, scope)) {
          permissions.set(
            permission.rsid,
            new Set([...(permissions.get(permission.rsid) ?? []), scope]),
          );
        }
      }
    }
    const rpt = this.mint({
      sub: subject,
      typ: 'rpt',
      exp: this.nowSeconds + 300,
      authorization: {
        permissions: [...permissions].map(([rsid, scopes]) => ({ rsid, scopes: [...scopes] })),
      },
    });
    return json(200, {
      access_token: rpt,
      token_type: 'Bearer',
      expires_in: 300,
      upgraded: previous.length > 0,
    });
  }
}
