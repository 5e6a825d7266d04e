import { createHmac, randomBytes } from 'node:crypto';
import { ALBUM_API_SECRET } from '../../scripts/dev-realm/realm.ts';
import { accessClaims, forgeToken, rs256 } from './forge.ts';
import type {
  AuthSpec,
  BodySpec,
  ForgedToken,
  FuzzCase,
  FuzzFixtures,
  MultipartFile,
  RealId,
  Tamper,
} from './fuzz-cases.ts';
import type { FuzzRoute } from './fuzz-routes.ts';

/* A fuzz case, turned into the exact bytes of an HTTP request. */

/** Header values the HTTP client can send: no control characters, nothing above Latin-1. */
export function headerSafe(value: string): string {
  return value.replaceAll(/[^\t\x20-\x7e\x80-\xff]/g, '');
}

/** One request exactly as it goes on the wire, with the inputs the server may echo back. */
export interface ConcreteRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
  /** Every string the request carries (decoded), to tell an echo from a leak. */
  readonly inputs: readonly string[];
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Percent-encodes everything but unreserved characters; lone surrogates become U+FFFD. */
function encodeAll(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) => {
      const char = String.fromCodePoint(byte);
      return byte < 0x80 && UNRESERVED.test(char)
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/** Keeps printable ASCII verbatim (`/`, `%`, `?`, `#`, `..` included); encodes the rest. */
function encodeRaw(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) =>
      byte > 0x20 && byte < 0x7f
        ? String.fromCodePoint(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

function resolveReals(value: unknown, fixtures: FuzzFixtures): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => resolveReals(item, fixtures));
  }
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    const real = (value as { $real?: unknown }).$real;
    if (keys.length === 1 && typeof real === 'string' && real in fixtures.ids) {
      return fixtures.ids[real as RealId];
    }
    const copy: Record<string, unknown> = {};
    for (const key of keys) {
      // defineProperty: a generated "__proto__" key stays an own key, as JSON would carry it.
      Object.defineProperty(copy, key, {
        value: resolveReals((value as Record<string, unknown>)[key], fixtures),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }
  return value;
}

function collectStrings(value: unknown, into: string[]): void {
  if (typeof value === 'string') {
    into.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) {
      collectStrings(item, into);
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      into.push(key);
      collectStrings(item, into);
    }
  }
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function tamperToken(token: string, change: Tamper): string {
  const [header = '', payload = '', signature = ''] = token.split('.');
  switch (change.kind) {
    case 'none':
      return token;
    case 'flipSignature': {
      const bytes = Buffer.from(signature, 'base64url');
      const index = Math.floor(change.at * bytes.length);
      bytes[index] = (bytes[index] ?? 0) ^ (1 << change.bit);
      return `${header}.${payload}.${bytes.toString('base64url')}`;
    }
    case 'truncate':
      return token.slice(0, Math.floor(change.at * token.length));
    case 'payload': {
      let claims: Record<string, unknown> = {};
      try {
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
          string,
          unknown
        >;
      } catch {
        // Not a JWS (never for Keycloak's tokens): the new claims stand alone.
      }
      return `${header}.${b64url({ ...claims, ...change.claims })}.${signature}`;
    }
    case 'alg': {
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<
          string,
          unknown
        >;
      } catch {
        // As above.
      }
      return `${b64url({ ...parsed, alg: change.alg })}.${payload}.${signature}`;
    }
    case 'dropSignature':
      return `${header}.${payload}.`;
    case 'append':
      return `${token}${change.text}`;
  }
  throw new Error('unreachable: every tamper kind is handled above');
}

function forgeFrom(spec: ForgedToken, fixtures: FuzzFixtures): string {
  const header: Record<string, unknown> = { alg: spec.alg, typ: 'JWT' };
  if (spec.kid === 'realm') {
    header['kid'] = fixtures.realmKid;
  } else if (spec.kid === 'random') {
    header['kid'] = randomBytes(8).toString('hex');
  } else if (spec.kid === 'traversal') {
    header['kid'] = '../../../../dev/null';
  }
  if (spec.headerExtra === 'jku') {
    header['jku'] = 'http://127.0.0.1:1/jwks.json';
  } else if (spec.headerExtra === 'x5u') {
    header['x5u'] = 'http://127.0.0.1:1/cert.pem';
  } else if (spec.headerExtra === 'jwk') {
    header['jwk'] = spec.signature === 'foreignRsa' ? { kty: 'RSA', n: 'AQAB', e: 'AQAB' } : {};
  } else if (spec.headerExtra === 'crit') {
    header['crit'] = ['exp'];
  }
  const claims = accessClaims(resolveReals(spec.claims, fixtures) as Record<string, unknown>);
  const realSignature = fixtures.tokens.alice.split('.')[2] ?? '';
  const signers: Record<ForgedToken['signature'], (input: string) => string> = {
    none: () => '',
    garbage: () => randomBytes(256).toString('base64url'),
    hmacRealmPem: (input) =>
      createHmac('sha256', fixtures.realmPem).update(input).digest('base64url'),
    hmacSecret: (input) => createHmac('sha256', ALBUM_API_SECRET).update(input).digest('base64url'),
    foreignRsa: rs256(fixtures.foreignKey),
    realCopy: () => realSignature,
  };
  const token = forgeToken(header, claims, signers[spec.signature]);
  return spec.cut === undefined ? token : token.slice(0, Math.floor(spec.cut * token.length));
}

function authorization(auth: AuthSpec, fixtures: FuzzFixtures): string | undefined {
  const withScheme = (scheme: string, token: string) =>
    headerSafe(scheme === '' ? token : `${scheme} ${token}`);
  switch (auth.kind) {
    case 'none':
      return undefined;
    case 'header':
      return auth.value;
    case 'bearer':
      return headerSafe(`Bearer ${auth.value}`);
    case 'real':
      return withScheme(auth.scheme, tamperToken(fixtures.tokens[auth.who], auth.tamper));
    case 'forged':
      return withScheme(auth.scheme, forgeFrom(auth, fixtures));
  }
  throw new Error('unreachable: every credential kind is handled above');
}

const IMAGE_HEADS: Record<MultipartFile, Buffer> = {
  jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  png: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  gif: Buffer.from('GIF89a'),
  webp: Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]),
  text: Buffer.from('hello, not an image\n'),
  unknown: Buffer.alloc(0),
  empty: Buffer.alloc(0),
};

function fileBytes(file: MultipartFile, size: number): Buffer {
  if (file === 'empty') {
    return Buffer.alloc(0);
  }
  const head = IMAGE_HEADS[file];
  const rest = Math.max(0, size - head.length);
  // Deterministic filler: the same case sends the same bytes.
  return Buffer.concat([head, Buffer.alloc(rest, 0x5a)]);
}

function quoted(value: string): string {
  return value.replaceAll('"', '%22').replaceAll(/[\r\n]/g, ' ');
}

function multipartBody(spec: Extract<BodySpec, { kind: 'multipart' }>): {
  body: Buffer;
  contentType: string;
} {
  const boundary = '----photozfuzz7MA4YWxkTrZu0gW';
  const parts: Buffer[] = [];
  if (spec.extraField !== undefined) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(spec.extraField)}"\r\n\r\n${spec.extraField}\r\n`,
      ),
    );
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(spec.field)}"; filename="${quoted(spec.fileName)}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    fileBytes(spec.file, spec.size),
    Buffer.from(spec.boundary === 'unterminated' ? '\r\n' : `\r\n--${boundary}--\r\n`),
  );
  const contentType =
    spec.boundary === 'missing'
      ? 'multipart/form-data'
      : spec.boundary === 'mismatched'
        ? 'multipart/form-data; boundary=something-else'
        : `multipart/form-data; boundary=${boundary}`;
  return { body: Buffer.concat(parts), contentType };
}

function encodedBody(
  spec: BodySpec,
  fixtures: FuzzFixtures,
  inputs: string[],
): { body: Buffer; contentType: string } | undefined {
  switch (spec.kind) {
    case 'none':
      return undefined;
    case 'json': {
      const value = resolveReals(spec.value, fixtures);
      collectStrings(value, inputs);
      return {
        body: Buffer.from(JSON.stringify(value) ?? 'null'),
        contentType: 'application/json',
      };
    }
    case 'text':
      inputs.push(spec.text);
      return { body: Buffer.from(spec.text), contentType: 'application/json' };
    case 'oversized':
      return spec.json
        ? {
            body: Buffer.from(JSON.stringify({ name: 'x'.repeat(spec.bytes) })),
            contentType: 'application/json',
          }
        : { body: Buffer.alloc(spec.bytes, 0x61), contentType: 'application/octet-stream' };
    case 'nested': {
      const levels = Array.from({ length: spec.depth }, (_, level) =>
        spec.container === 'array' || (spec.container === 'mixed' && level % 2 === 0)
          ? ['[', ']']
          : ['{"a":', '}'],
      );
      // The innermost object holds a value: `{"a":}` would be refused for its syntax alone.
      const inner = levels.at(-1)?.[0] === '[' ? '' : '1';
      let text = `${levels.map(([open]) => open).join('')}${inner}${levels
        .map(([, close]) => close)
        .reverse()
        .join('')}`;
      if (spec.under !== undefined) {
        inputs.push(spec.under);
        text = `{${JSON.stringify(spec.under)}:${text}}`;
      }
      return { body: Buffer.from(text), contentType: 'application/json' };
    }
    case 'form':
      for (const [key, value] of spec.pairs) {
        inputs.push(key, value);
      }
      return {
        body: Buffer.from(
          spec.pairs.map(([key, value]) => `${encodeAll(key)}=${encodeAll(value)}`).join('&'),
        ),
        contentType: 'application/x-www-form-urlencoded',
      };
    case 'multipart':
      inputs.push(
        spec.field,
        spec.fileName,
        ...(spec.extraField === undefined ? [] : [spec.extraField]),
      );
      return multipartBody(spec);
  }
  throw new Error('unreachable: every body kind is handled above');
}

export function materialize(
  route: FuzzRoute,
  fuzz: FuzzCase,
  fixtures: FuzzFixtures,
): ConcreteRequest {
  const inputs: string[] = [];
  let path = route.template;
  for (const name of route.pathParams) {
    const param = fuzz.path[name] ?? { kind: 'real', id: 'album' };
    const value = param.kind === 'real' ? fixtures.ids[param.id] : param.value;
    const encoded = param.kind === 'text' && param.raw ? encodeRaw(value) : encodeAll(value);
    inputs.push(value, encoded);
    path = path.replace(`{${name}}`, () => encoded);
  }
  if (fuzz.query.length > 0) {
    path += `?${fuzz.query
      .map(({ key, value, raw }) => {
        const encode = raw ? encodeRaw : encodeAll;
        inputs.push(key, value, encode(key), encode(value));
        return `${encode(key)}=${encode(value)}`;
      })
      .join('&')}`;
  }
  // The server names the path it was asked for (`instance`, "Cannot GET …").
  inputs.push(path, path.split('?')[0] ?? path);
  const headers: Record<string, string> = {};
  const auth = authorization(fuzz.auth, fixtures);
  if (auth !== undefined) {
    headers['authorization'] = auth;
    inputs.push(auth);
  }
  if (fuzz.requestId !== undefined) {
    headers['x-request-id'] = fuzz.requestId;
    inputs.push(fuzz.requestId);
  }
  const body = encodedBody(fuzz.body, fixtures, inputs);
  const contentType = fuzz.contentType ?? body?.contentType;
  if (contentType !== undefined) {
    headers['content-type'] = contentType;
    inputs.push(contentType);
  }
  return { method: route.method, path, headers, body: body?.body, inputs };
}

/** The request in a few lines, tokens and long values shortened, for failure messages. */
export function describeRequest(request: ConcreteRequest): string {
  const short = (value: string, max: number) =>
    value.length <= max ? value : `${value.slice(0, max)}… (${value.length} chars)`;
  const lines = [`${request.method} ${short(request.path, 300)}`];
  for (const [name, value] of Object.entries(request.headers)) {
    lines.push(`${name}: ${JSON.stringify(short(value, 120))}`);
  }
  if (request.body !== undefined) {
    lines.push('', JSON.stringify(short(request.body.toString('utf8'), 400)));
  }
  return lines.join('\n');
}
