import type { KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { ISSUER } from '../../scripts/dev-realm/realm.ts';
import type { FuzzRoute, Schema } from './fuzz-routes.ts';
import { headerSafe } from './fuzz-wire.ts';

/*
 * Requests are generated as small symbolic descriptions ("alice's token with a flipped signature
 * byte", "the id of alice's album") and turned into bytes only when sent: counterexamples stay
 * readable after shrinking, and tokens are always the current ones.
 */

/** Real values of the test's world that a request may name. */
export type RealId =
  | 'album'
  | 'otherAlbum'
  | 'photo'
  | 'otherPhoto'
  | 'resource'
  | 'otherResource'
  | 'request'
  | 'aliceSub'
  | 'jdoeSub'
  | 'outboxEvent'
  | 'alice'
  | 'jdoe'
  | 'bob'
  | 'admin'
  | 'partner';

/** Real tokens: users' access tokens, partners' client-credentials tokens, an RPT, non-access tokens. */
export type Who =
  | 'alice'
  | 'jdoe'
  | 'bob'
  | 'admin'
  | 'printshop'
  | 'noaudience'
  | 'jdoeRpt'
  | 'aliceIdToken'
  | 'aliceRefreshToken';

export interface FuzzFixtures {
  readonly ids: Readonly<Record<RealId, string>>;
  readonly tokens: Readonly<Record<Who, string>>;
  /** kid and PEM of the realm's RS256 key: for tokens that name it without being signed by it. */
  readonly realmKid: string;
  readonly realmPem: string;
  readonly foreignKey: KeyObject;
}

const REAL_IDS: readonly RealId[] = [
  'album',
  'otherAlbum',
  'photo',
  'otherPhoto',
  'resource',
  'otherResource',
  'request',
  'aliceSub',
  'jdoeSub',
  'outboxEvent',
  'alice',
  'jdoe',
  'bob',
  'admin',
  'partner',
];
const WHO: readonly Who[] = [
  'alice',
  'jdoe',
  'bob',
  'admin',
  'printshop',
  'noaudience',
  'jdoeRpt',
  'aliceIdToken',
  'aliceRefreshToken',
];

export type PathParam =
  | { readonly kind: 'real'; readonly id: RealId }
  | { readonly kind: 'text'; readonly value: string; readonly raw: boolean };

export type Tamper =
  | { readonly kind: 'none' }
  | { readonly kind: 'flipSignature'; readonly at: number; readonly bit: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'payload'; readonly claims: Readonly<Record<string, unknown>> }
  | { readonly kind: 'alg'; readonly alg: string }
  | { readonly kind: 'dropSignature' }
  | { readonly kind: 'append'; readonly text: string };

export interface ForgedToken {
  readonly alg: string;
  readonly kid: 'realm' | 'random' | 'absent' | 'traversal';
  readonly headerExtra: 'none' | 'jku' | 'x5u' | 'jwk' | 'crit';
  readonly signature:
    'none' | 'garbage' | 'hmacRealmPem' | 'hmacSecret' | 'foreignRsa' | 'realCopy';
  readonly claims: Readonly<Record<string, unknown>>;
  readonly cut: number | undefined;
}

export type AuthSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'header'; readonly value: string }
  | { readonly kind: 'bearer'; readonly value: string }
  | { readonly kind: 'real'; readonly who: Who; readonly scheme: string; readonly tamper: Tamper }
  | ({ readonly kind: 'forged'; readonly scheme: string } & ForgedToken);

export type MultipartFile = 'jpeg' | 'png' | 'gif' | 'webp' | 'text' | 'unknown' | 'empty';

export type BodySpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'oversized'; readonly bytes: number; readonly json: boolean }
  | {
      readonly kind: 'nested';
      /** How many arrays or objects open inside one another. */
      readonly depth: number;
      readonly container: 'array' | 'object' | 'mixed';
      /** The property of an outer object the nesting sits in (`{"name":[[…]]}`), if any. */
      readonly under: string | undefined;
    }
  | { readonly kind: 'form'; readonly pairs: readonly (readonly [string, string])[] }
  | {
      readonly kind: 'multipart';
      readonly field: string;
      readonly fileName: string;
      readonly file: MultipartFile;
      readonly size: number;
      readonly boundary: 'ok' | 'missing' | 'mismatched' | 'unterminated';
      readonly extraField: string | undefined;
    };

export interface FuzzCase {
  readonly path: Readonly<Record<string, PathParam>>;
  readonly query: readonly { key: string; value: string; raw: boolean }[];
  readonly auth: AuthSpec;
  readonly requestId: string | undefined;
  readonly contentType: string | undefined;
  readonly body: BodySpec;
}

/** Strings that have broken parsers, routers, ORMs and validators before. */
const SPECIAL_STRINGS = [
  '',
  ' ',
  '.',
  '..',
  '...',
  '%00',
  '%',
  '%zz',
  '%2e%2e',
  '%2F',
  '%c0%ae%c0%ae',
  '../../../etc/passwd',
  '..\\..\\windows',
  '\u0000',
  'a\u0000b',
  '\t',
  '\r\n',
  "' OR '1'='1",
  "1'; DROP TABLE album_service.albums; --",
  'SELECT * FROM album_service.albums',
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '-0',
  '1.5',
  '1e309',
  '99999999999999999999999',
  '0x10',
  'true',
  '[]',
  '{}',
  '\u202e',
  '\ufeff',
  '\ud800',
  '\udfff',
  '🙂',
  'é',
  'ﬀ',
  'İ',
  '\u2764\ufe0f',
  'album:view',
  'album:edit album:delete',
  'album-',
  'service-account-',
  'client:',
  'a.b',
  '.a',
  'a.',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '123e4567-e89b-12d3-a456-42661417400',
  '{00000000-0000-0000-0000-000000000000}',
];

const longString = fc
  .tuple(
    fc.constantFrom('x', 'é', '🙂', '%', '../', 'a\ufe0f', '\u0000'),
    fc.integer({ min: 100, max: 5000 }),
  )
  .map(([unit, count]) => unit.repeat(count));

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: longString },
);

const realId = fc.constantFrom(...REAL_IDS);

/** A reference to a real value inside a JSON body, replaced when the request is sent. */
const realRef = realId.map((id) => ({ $real: id }));

/**
 * Real ids that fit a name (`albumId`, `username`) or a path parameter and the segment before it
 * (`/albums/{id}`, `/permission-requests/{id}`): the fuzzer gets past "unknown id" often enough
 * to reach what lies behind it.
 */
function fittingIds(context: string): readonly RealId[] | undefined {
  const fits: [RegExp, RealId[]][] = [
    [/photo/i, ['photo', 'photo', 'otherPhoto']],
    [/album/i, ['album', 'album', 'otherAlbum']],
    [/request/i, ['request']],
    [/share|user/i, ['jdoe', 'bob', 'admin', 'partner', 'alice']],
    [/outbox|event/i, ['outboxEvent']],
    [/resource/i, ['resource', 'otherResource']],
  ];
  return fits.find(([pattern]) => pattern.test(context))?.[1];
}

function pathContext(template: string, name: string): string {
  return `${template.split(`/{${name}}`)[0]?.split('/').at(-1) ?? ''} ${name}`;
}

function plausiblePathParam(template: string, name: string): fc.Arbitrary<PathParam> {
  return fc
    .constantFrom(...(fittingIds(pathContext(template, name)) ?? REAL_IDS))
    .map((id) => ({ kind: 'real' as const, id }));
}

function fuzzedPathParam(): fc.Arbitrary<PathParam> {
  return fc.oneof(
    { weight: 2, arbitrary: realId.map((id) => ({ kind: 'real' as const, id })) },
    {
      weight: 2,
      arbitrary: fc.uuid().map((value) => ({ kind: 'text' as const, value, raw: false })),
    },
    {
      weight: 6,
      arbitrary: fc
        .tuple(nastyString, fc.boolean())
        .map(([value, raw]) => ({ kind: 'text' as const, value, raw })),
    },
  );
}

/** What a documented parameter or property would hold in a valid request. */
function plausibleValue(schema: Schema, name: string, depth = 0): fc.Arbitrary<unknown> {
  if (schema.enum !== undefined && schema.enum.length > 0) {
    return fc.constantFrom(...schema.enum);
  }
  const type = schema.type ?? 'string';
  if (type === 'array') {
    const items = schema.items ?? {};
    return items.enum !== undefined && items.enum.length > 0
      ? fc.subarray([...items.enum], { minLength: 1 })
      : fc.array(plausibleValue(items, name, depth + 1), { minLength: 1, maxLength: 3 });
  }
  if (type === 'number' || type === 'integer') {
    return fc.integer({ min: schema.minimum ?? 1, max: schema.maximum ?? 100 });
  }
  if (type === 'boolean') {
    return fc.boolean();
  }
  if (type === 'object') {
    return schema.properties === undefined || depth > 2
      ? fc.constantFrom(null, 'Summer trip')
      : plausibleObject(schema, depth + 1);
  }
  const ids = fittingIds(name);
  if (ids !== undefined || schema.format === 'uuid') {
    return fc.constantFrom(...(ids ?? ['album' as const])).map((id) => ({ $real: id }));
  }
  return fc.constantFrom('Holiday', 'Italy 2026', 'Summer trip', 'x');
}

function plausibleObject(schema: Schema, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    Object.fromEntries(
      Object.entries(schema.properties ?? {}).map(([key, value]) => [
        key,
        plausibleValue(value, key, depth),
      ]),
    ),
    { requiredKeys: [...(schema.required ?? [])] },
  );
}

/** Characters storage and validation trip over: NUL, lone surrogates, direction overrides. */
const DANGEROUS_TEXT = ['\u0000', 'a\u0000b', '\ud800', 'a\udfffb', '\u202eevil', '\ufeff', '\r\n'];

/**
 * Strings at and just past a length limit, counted in code units, code points and characters:
 * validators and column types count differently (a variation selector counts for nothing in
 * class-validator's length, for one in a PostgreSQL varchar).
 */
function atTheLimit(limit: number | undefined): fc.Arbitrary<string> {
  const size = limit ?? 1000;
  return fc.constantFrom(
    'x'.repeat(size),
    'x'.repeat(size + 1),
    '🙂'.repeat(size),
    'e\u0301'.repeat(size),
    '\u2764\ufe0f'.repeat(size),
    'a\ufe0e'.repeat(size),
  );
}

const garbage: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  fc.jsonValue({ maxDepth: 2 }),
  fc.constant(null),
);

/** Near misses of what a documented parameter or property would hold, and outright garbage. */
function valueFor(schema: Schema, name: string, depth = 0): fc.Arbitrary<unknown> {
  if (schema.type === 'array' && depth < 3) {
    const items = schema.items ?? {};
    return fc.oneof(
      fc.constantFrom([], null),
      fc.array(valueFor(items, name, depth + 1), { minLength: 1, maxLength: 4 }),
      plausibleValue(schema, name, depth).map((value) =>
        Array.isArray(value) ? [...(value as unknown[]), ...(value as unknown[])] : value,
      ),
      garbage,
    );
  }
  if (schema.type === 'number' || schema.type === 'integer') {
    const min = schema.minimum ?? 1;
    const max = schema.maximum ?? 100;
    return fc.oneof(
      fc.constantFrom(min - 1, max + 1, 0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2),
      fc.double(),
      garbage,
    );
  }
  if (schema.type === 'object' && schema.properties !== undefined && depth < 3) {
    return fc.oneof(nearMissObject(schema, depth + 1), garbage);
  }
  const options: { weight: number; arbitrary: fc.Arbitrary<unknown> }[] = [
    { weight: 4, arbitrary: atTheLimit(schema.maxLength) },
    { weight: 3, arbitrary: fc.constantFrom(...DANGEROUS_TEXT) },
    // null passes class-validator's @IsOptional() as if the property were absent.
    { weight: 2, arbitrary: fc.constantFrom('', ' ', ' padded ', null) },
    { weight: 1, arbitrary: realRef },
    { weight: 2, arbitrary: garbage },
  ];
  if (schema.enum !== undefined && schema.enum.length > 0) {
    const values = schema.enum.map(String);
    options.push({
      weight: 3,
      arbitrary: fc.constantFrom(
        ...values.flatMap((value) => [
          value.toUpperCase(),
          ` ${value}`,
          `${value}x`,
          `${value}\u0000`,
        ]),
      ),
    });
  }
  return fc.oneof(...options);
}

/** A valid object but for one property, which holds a near miss. */
function nearMissObject(schema: Schema, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(schema.properties ?? {});
  if (entries.length === 0) {
    return plausibleObject(schema, depth);
  }
  return fc.oneof(
    ...entries.map(([key, property]) =>
      fc
        .tuple(plausibleObject(schema, depth), valueFor(property, key, depth))
        .map(([base, value]) => ({ ...base, [key]: value })),
    ),
  );
}

/** An object with the schema's properties (each maybe missing, maybe wrong) and maybe extra keys. */
function shapedObject(schema: Schema, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const properties = Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([key, value]) => [
      key,
      valueFor(value, key, depth),
    ]),
  );
  return fc
    .tuple(
      fc.record(properties, { requiredKeys: [] }),
      fc.oneof(
        { weight: 4, arbitrary: fc.constant({}) },
        {
          weight: 1,
          arbitrary: fc.dictionary(nastyString, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            JSON.parse('{"__proto__":{"isAdmin":true}}') as Record<string, unknown>,
            { constructor: { prototype: { isAdmin: true } } },
          ),
        },
      ),
    )
    .map(([known, extra]) => ({ ...extra, ...known }));
}

/** Dates at and past the ends of what JavaScript and PostgreSQL hold, and a few ordinary ones. */
const cursorDateText = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      '-271821-04-20T00:00:00.000Z',
      '+275760-09-13T00:00:00.000Z',
      '-004714-11-23T00:00:00.000Z',
      '-004713-11-24T00:00:00.000Z',
      '+294277-01-01T00:00:00.000Z',
      '0000-01-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
      '1970-01-01T00:00:00.000Z',
      '2026-02-30T00:00:00.000Z',
      '2026-05-17',
      'infinity',
      '-infinity',
      'epoch',
    ),
  },
  { weight: 2, arbitrary: fc.date({ noInvalidDate: true }).map((date) => date.toJSON()) },
  { weight: 1, arbitrary: nastyString },
);

/** Positions of the services' lists: an album's date and id, an audit event's id, an offset. */
const cursorPosition: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        createdAt: fc.oneof(
          { weight: 6, arbitrary: cursorDateText },
          { weight: 1, arbitrary: garbage },
        ),
        id: fc.oneof({ weight: 4, arbitrary: fc.uuid() }, realRef, garbage),
      },
      { requiredKeys: ['createdAt', 'id'] },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.integer(),
      fc.constantFrom(
        -1,
        0,
        2 ** 31,
        Number.MAX_SAFE_INTEGER,
        Number.MAX_SAFE_INTEGER + 2,
        1e308,
        0.5,
      ),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.bigInt({ min: 0n, max: 10n ** 19n }).map(String),
      fc.constantFrom('0', '-1', '9'.repeat(18), '9'.repeat(19), '9223372036854775808', '1e3'),
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/**
 * What a tampered `cursor` may hold: base64url JSON of made-up positions (the form the services
 * hand out), the same in standard base64 or cut short, and text that decodes to nothing.
 */
const cursorContents: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: cursorPosition.map((position) =>
      Buffer.from(JSON.stringify(position) ?? 'null').toString('base64url'),
    ),
  },
  {
    weight: 1,
    arbitrary: cursorPosition.map((position) =>
      Buffer.from(JSON.stringify(position) ?? 'null').toString('base64'),
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(cursorPosition, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }))
      .map(([position, at]) => {
        const encoded = Buffer.from(JSON.stringify(position) ?? 'null').toString('base64url');
        return encoded.slice(0, Math.floor(at * encoded.length));
      }),
  },
  { weight: 1, arbitrary: fc.base64String({ maxLength: 200 }) },
  { weight: 1, arbitrary: nastyString },
);

function plausibleQuery(route: FuzzRoute): fc.Arbitrary<FuzzCase['query']> {
  return fc
    .record(
      Object.fromEntries(
        route.queryParams.map((parameter) => [
          parameter.name,
          // No cursor the services handed out is at hand: any is as plausible as another.
          (parameter.name === 'cursor'
            ? cursorContents
            : plausibleValue(parameter.schema, parameter.name)
          ).map(String),
        ]),
      ),
      { requiredKeys: [] },
    )
    .map((values) =>
      Object.entries(values).map(([key, value]) => ({ key, value: String(value), raw: false })),
    );
}

function fuzzedQuery(route: FuzzRoute): fc.Arbitrary<FuzzCase['query']> {
  const documented = route.queryParams.map((parameter) =>
    fc.record({
      key: fc.constant(parameter.name),
      value: (parameter.name === 'cursor'
        ? cursorContents
        : valueFor(parameter.schema, parameter.name)
      ).map(String),
      raw: fc.boolean(),
    }),
  );
  const anyPair = fc.record({ key: nastyString, value: nastyString, raw: fc.boolean() });
  const pairs = fc.array(documented.length === 0 ? anyPair : fc.oneof(...documented, anyPair), {
    maxLength: 4,
  });
  if (!route.queryParams.some((parameter) => parameter.name === 'cursor')) {
    return pairs;
  }
  // A tampered cursor alone, often: the list reads it only when the rest of the query is valid.
  const cursorAlone = cursorContents.map((value) => [
    { key: 'cursor', value: String(value), raw: false },
  ]);
  return fc.oneof({ weight: 1, arbitrary: pairs }, { weight: 1, arbitrary: cursorAlone });
}

const schemeArbitrary = fc.oneof(
  { weight: 12, arbitrary: fc.constant('Bearer') },
  { weight: 3, arbitrary: fc.constantFrom('bearer', 'BEARER', 'Bearer ', 'Bearer\t', '', 'Basic') },
  { weight: 1, arbitrary: fc.constantFrom('UMA', 'Bearer Bearer', 'Token', 'Bearer,') },
);

const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  { weight: 10, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('flipSignature' as const),
      at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      bit: fc.integer({ min: 0, max: 7 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('truncate' as const),
      at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('payload' as const),
      claims: fc.record(
        {
          sub: fc.oneof(realRef, nastyString),
          realm_access: fc.constant({ roles: ['user', 'admin'] }),
          exp: fc.oneof(fc.integer(), nastyString),
          aud: fc.oneof(fc.constant('album-api'), nastyString),
        },
        { requiredKeys: [] },
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('alg' as const),
      alg: fc.constantFrom('none', 'HS256', 'RS512', 'ES256', 'PS256', ''),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'dropSignature' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('append' as const), text: nastyString }),
  },
);

const forgedClaims = fc.record(
  {
    sub: fc.oneof(fc.constant({ $real: 'aliceSub' }), fc.uuid(), nastyString),
    aud: fc.oneof(
      fc.constant(['album-api']),
      fc.constant('album-api'),
      nastyString,
      fc.constant(['account']),
    ),
    iss: fc.oneof(
      fc.constant(ISSUER),
      fc.constant(`${ISSUER}/`),
      fc.constant('http://localhost:8080/realms/other'),
      nastyString,
    ),
    typ: fc.constantFrom('Bearer', 'ID', 'Refresh', 'bearer', ''),
    exp: fc.oneof(
      fc.constant(Math.floor(Date.now() / 1000) + 3600),
      fc.integer(),
      nastyString,
      fc.constant(1e300),
    ),
    nbf: fc.oneof(fc.integer(), nastyString),
    realm_access: fc.oneof(
      fc.constant({ roles: ['user', 'admin'] }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    authorization: fc.oneof(
      fc.record({
        permissions: fc.array(
          fc.record({
            rsid: fc.oneof(fc.constant({ $real: 'resource' }), nastyString),
            scopes: fc.oneof(
              fc.constant(['album:view', 'album:edit', 'album:delete']),
              fc.jsonValue({ maxDepth: 1 }),
            ),
          }),
          { maxLength: 2 },
        ),
      }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    preferred_username: nastyString,
  },
  { requiredKeys: [] },
);

const forged = fc.record({
  kind: fc.constant('forged' as const),
  scheme: schemeArbitrary,
  alg: fc.constantFrom('none', 'None', 'NONE', 'HS256', 'RS256', 'RS512', 'PS256', 'ES256', ''),
  kid: fc.constantFrom(
    'realm' as const,
    'random' as const,
    'absent' as const,
    'traversal' as const,
  ),
  headerExtra: fc.constantFrom(
    'none' as const,
    'jku' as const,
    'x5u' as const,
    'jwk' as const,
    'crit' as const,
  ),
  signature: fc.constantFrom(
    'none' as const,
    'garbage' as const,
    'hmacRealmPem' as const,
    'hmacSecret' as const,
    'foreignRsa' as const,
    'realCopy' as const,
  ),
  claims: forgedClaims,
  cut: fc.option(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
    nil: undefined,
  }),
});

const headerText = nastyString.map(headerSafe);

/** Tokens the services accept; alice owns the album most ids point at. */
const acceptedAuth: fc.Arbitrary<AuthSpec> = fc.record({
  kind: fc.constant('real' as const),
  who: fc.oneof(
    { weight: 5, arbitrary: fc.constant<Who>('alice') },
    { weight: 5, arbitrary: fc.constantFrom<Who>('jdoe', 'bob', 'admin', 'printshop', 'jdoeRpt') },
  ),
  scheme: fc.constant('Bearer'),
  tamper: fc.constant({ kind: 'none' as const }),
});

const fuzzedAuth: fc.Arbitrary<AuthSpec> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('real' as const),
      who: fc.constantFrom(...WHO),
      scheme: schemeArbitrary,
      tamper,
    }),
  },
  { weight: 3, arbitrary: forged },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('header' as const), value: headerText }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('bearer' as const),
      value: fc.oneof(
        { weight: 3, arbitrary: headerText },
        { weight: 2, arbitrary: fc.base64String({ maxLength: 200 }) },
        {
          weight: 2,
          arbitrary: fc
            .array(fc.base64String({ maxLength: 60 }), { minLength: 2, maxLength: 5 })
            .map((parts) => parts.join('.')),
        },
        // Past the server's 16 KiB header limit now and then.
        { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => 'a'.repeat(n)) },
      ),
    }),
  },
);

const plausibleRequestId = fc.option(fc.stringMatching(/^[A-Za-z0-9._-]{1,128}$/), {
  nil: undefined,
});

const fuzzedRequestId = fc.oneof(
  { weight: 2, arbitrary: headerText },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(129), 'a'.repeat(4000), '../../x', '%00') },
);

const fuzzedContentType = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16le',
      'APPLICATION/JSON',
      'application/json;;;',
      'application/vnd.api+json',
      'application/problem+json',
      'text/json',
      'text/plain',
      'text/html',
      'application/xml',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'multipart/form-data; boundary=',
      'multipart/form-data; boundary=x',
      'multipart/mixed; boundary=x',
      'application/octet-stream',
      'image/jpeg',
      '*/*',
      '',
      ';',
    ),
  },
  { weight: 1, arbitrary: headerText },
);

const json = (value: fc.Arbitrary<unknown>) =>
  value.map((body) => ({ kind: 'json' as const, value: body }));

function plausibleBody(route: FuzzRoute): fc.Arbitrary<BodySpec> {
  if (route.multipart) {
    return fc.record({
      kind: fc.constant('multipart' as const),
      field: fc.constant('file'),
      fileName: fc.constantFrom('photo.jpg', 'IMG_0001.PNG', 'été.gif'),
      file: fc.constantFrom('jpeg' as const, 'png' as const, 'gif' as const, 'webp' as const),
      size: fc.integer({ min: 16, max: 4096 }),
      boundary: fc.constant('ok' as const),
      extraField: fc.constant(undefined),
    });
  }
  return route.jsonBody === undefined
    ? fc.constant({ kind: 'none' as const })
    : json(plausibleObject(route.jsonBody));
}

function fuzzedBody(route: FuzzRoute): fc.Arbitrary<BodySpec> {
  const multipart = fc.record({
    kind: fc.constant('multipart' as const),
    field: fc.oneof(
      { weight: 4, arbitrary: fc.constant('file') },
      { weight: 1, arbitrary: nastyString },
    ),
    fileName: nastyString,
    file: fc.constantFrom(
      'jpeg' as const,
      'png' as const,
      'gif' as const,
      'webp' as const,
      'text' as const,
      'unknown' as const,
      'empty' as const,
    ),
    size: fc.oneof(
      { weight: 20, arbitrary: fc.integer({ min: 0, max: 4096 }) },
      // One byte over the photo limit: the upload must be refused while it streams.
      { weight: 1, arbitrary: fc.constant(10 * 1024 * 1024 + 1) },
    ),
    boundary: fc.constantFrom(
      'ok' as const,
      'ok' as const,
      'missing' as const,
      'mismatched' as const,
      'unterminated' as const,
    ),
    extraField: fc.option(nastyString, { nil: undefined }),
  });
  const others: { weight: number; arbitrary: fc.Arbitrary<BodySpec> }[] = [
    { weight: 3, arbitrary: json(fc.jsonValue({ maxDepth: 3 })) },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.string({ maxLength: 60 }),
          fc.constantFrom('{', '[1,', '{"name":', '\ufeff{}', '{"a":1}{"b":2}', 'nul', "{'a':1}"),
        )
        .map((text) => ({ kind: 'text' as const, text })),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('oversized' as const),
        // Around the 1 MiB body limit.
        bytes: fc.constantFrom(1024 * 1024 - 16, 1024 * 1024 + 1, 3 * 1024 * 1024),
        json: fc.boolean(),
      }),
    },
    {
      weight: route.jsonBody === undefined ? 1 : 4,
      arbitrary: fc.record({
        kind: fc.constant('nested' as const),
        depth: fc.oneof(
          // Around the services' limit, well past it, past the stack, and near the body limit.
          fc.constantFrom(15, 16, 17, 100, 3000, 10_000, 500_000),
          fc.integer({ min: 1, max: 20_000 }),
        ),
        container: fc.constantFrom('array' as const, 'object' as const, 'mixed' as const),
        under: fc.option(
          fc.oneof(
            fc.constantFrom(...Object.keys(route.jsonBody?.properties ?? { name: {} })),
            nastyString,
          ),
          { nil: undefined },
        ),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('form' as const),
        pairs: fc.array(fc.tuple(nastyString, nastyString), { maxLength: 3 }),
      }),
    },
    { weight: route.multipart ? 10 : 1, arbitrary: multipart },
  ];
  if (route.jsonBody !== undefined) {
    others.push(
      { weight: 12, arbitrary: json(nearMissObject(route.jsonBody)) },
      { weight: 4, arbitrary: json(shapedObject(route.jsonBody)) },
    );
  }
  return fc.oneof({ weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) }, ...others);
}

/**
 * Each part of a request (path, query, credentials, request id, content type, body) is either
 * what a valid request would carry or fuzzed, two to one: a request broken in one or two places
 * gets past the checks of the others and reaches deeper than one broken everywhere, and shrinking
 * moves towards the valid request, leaving only what breaks it.
 */
function part<T>(plausible: fc.Arbitrary<T>, fuzzed: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 2, arbitrary: plausible }, { weight: 1, arbitrary: fuzzed });
}

/** Requests to one route: its path parameters, query, credentials, headers and body. */
export function fuzzCaseArbitrary(route: FuzzRoute): fc.Arbitrary<FuzzCase> {
  return fc.record({
    path: fc.record(
      Object.fromEntries(
        route.pathParams.map((name) => [
          name,
          part(plausiblePathParam(route.template, name), fuzzedPathParam()),
        ]),
      ),
    ),
    query: part(plausibleQuery(route), fuzzedQuery(route)),
    auth: part(acceptedAuth, fuzzedAuth),
    requestId: part(plausibleRequestId, fuzzedRequestId),
    contentType: part(fc.constant(undefined), fuzzedContentType),
    // Where a body is expected it is the main input: fuzzed more often than not.
    body:
      route.jsonBody === undefined && !route.multipart
        ? part(plausibleBody(route), fuzzedBody(route))
        : fc.oneof(
            { weight: 1, arbitrary: plausibleBody(route) },
            { weight: 2, arbitrary: fuzzedBody(route) },
          ),
  });
}
