/**
 * Seeding for the scenarios that measure how costs grow with the work (bench/lib/lists.ts,
 * bench/lib/share-writes.ts): users through Keycloak's admin API (with a password only when the
 * scenario needs their token), albums through the album service (registered by its relay), shares
 * through `PUT /albums/:albumId/shares/:username` and requests through `POST /permission-requests`,
 * with several calls in flight at once.
 *
 * Plain TypeScript that Node runs with type stripping (no decorators, enums or parameter
 * properties): the benchmark orchestrator imports it from a plain node script.
 */
import { inParallel } from '../../libs/common/src/concurrency.ts';
import { DevAdminToken } from '../../scripts/dev-realm/admin-token.ts';
import { REALM } from '../../scripts/dev-realm/realm.ts';
import { login } from '../../scripts/dev-realm/tokens.ts';
import { callJson, expectStatus, type JsonResponse } from './api.ts';

/** Calls in flight at once while seeding. */
export const SEED_CONCURRENCY = 8;

/** How long a cached access token is used (the dev realm's live 5 minutes). */
const TOKEN_REUSE_MS = 180_000;

/** Users of Keycloak's admin API, as the dev-only bootstrap administrator. */
export class KeycloakUsers {
  private readonly keycloakUrl: string;
  private readonly adminToken: DevAdminToken;

  constructor(keycloakUrl: string) {
    this.keycloakUrl = keycloakUrl.replace(/\/+$/, '');
    this.adminToken = new DevAdminToken(this.keycloakUrl);
  }

  private accessToken(): Promise<string> {
    return this.adminToken.get();
  }

  /**
   * Creates a user of the dev realm. `password`: its name is its password (the dev realm's
   * `login`); without, the user can be shared with but never logs in, and costs Keycloak no
   * password hashing.
   */
  async create(username: string, password: boolean): Promise<void> {
    const response = await fetch(`${this.keycloakUrl}/admin/realms/${REALM}/users`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await this.accessToken()}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        username,
        enabled: true,
        email: `${username}@example.test`,
        emailVerified: true,
        firstName: 'Bench',
        lastName: 'User',
        ...(password
          ? { credentials: [{ type: 'password', value: username, temporary: false }] }
          : {}),
      }),
    });
    await response.arrayBuffer();
    if (response.status !== 201) {
      throw new Error(`creating user ${username} failed: ${response.status}`);
    }
  }

  /** Creates every user of `usernames`, several at once. */
  async createAll(usernames: readonly string[], password: boolean): Promise<void> {
    await inParallel(usernames, SEED_CONCURRENCY, (username) => this.create(username, password));
  }
}

/** Access tokens of users with a password, logged in once and reused while they live. */
export class Tokens {
  private readonly cached = new Map<string, { value: string; at: number }>();

  async of(username: string): Promise<string> {
    const hit = this.cached.get(username);
    if (hit !== undefined && Date.now() - hit.at < TOKEN_REUSE_MS) {
      return hit.value;
    }
    const value = (await login(username)).access_token;
    this.cached.set(username, { value, at: Date.now() });
    return value;
  }
}

/** Creates `count` albums of the token's user; returns their ids once all are registered. */
export async function createAlbums(
  albumUrls: readonly string[],
  token: () => Promise<string>,
  count: number,
  name: string,
  timeoutMs = 120_000,
): Promise<string[]> {
  const ids: string[] = Array.from({ length: count }, () => '');
  await inParallel(ids, SEED_CONCURRENCY, async (_, index) => {
    const base = albumUrls[index % albumUrls.length] ?? '';
    const created = expectStatus(
      'create album',
      await seedCall(async () =>
        callJson<{ id: string }>(base, 'POST', '/albums', {
          token: await token(),
          body: { name: `${name} ${index}` },
        }),
      ),
      201,
    );
    ids[index] = created.body.id;
  });
  // The relays register them meanwhile: each is waited for in turn, most are there already.
  const deadline = Date.now() + timeoutMs;
  await inParallel(ids, SEED_CONCURRENCY, async (id, index) => {
    const base = albumUrls[index % albumUrls.length] ?? '';
    for (;;) {
      const read = await callJson<{ keycloakResourceId: string | null }>(
        base,
        'GET',
        `/albums/${id}`,
        { token: await token() },
      );
      if (read.body.keycloakResourceId !== null) {
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(`album ${id} was not registered within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  return ids;
}

/**
 * A seeding call, repeated while it answers `503` (the API's "repeat the request": Keycloak timed
 * out on a loaded machine, say), at most a few times.
 */
export async function seedCall<T>(call: () => Promise<JsonResponse<T>>): Promise<JsonResponse<T>> {
  for (let attempt = 1; ; attempt += 1) {
    const response = await call();
    if (response.status !== 503 || attempt === 4) {
      return response;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
  }
}

/** The owner shares the album with `username`: it holds exactly `scopes`. */
export async function share(
  permissionUrl: string,
  ownerToken: string,
  albumId: string,
  username: string,
  scopes: readonly string[],
): Promise<void> {
  expectStatus(
    `share with ${username}`,
    await seedCall(() =>
      callJson(permissionUrl, 'PUT', `/albums/${albumId}/shares/${username}`, {
        token: ownerToken,
        body: { scopes },
      }),
    ),
    200,
  );
}

/** The token's user asks for `scopes` on the album; returns the request's id. */
export async function request(
  permissionUrl: string,
  requesterToken: string,
  albumId: string,
  scopes: readonly string[],
): Promise<string> {
  return expectStatus(
    'permission request',
    await seedCall(() =>
      callJson<{ id: string }>(permissionUrl, 'POST', '/permission-requests', {
        token: requesterToken,
        body: { albumId, scopes },
      }),
    ),
    202,
  ).body.id;
}

/** Runs `work` for every index in `[from, to)`, several at once. */
export async function forRange(
  from: number,
  to: number,
  work: (index: number) => Promise<void>,
): Promise<void> {
  const indexes = Array.from({ length: Math.max(0, to - from) }, (_, offset) => from + offset);
  await inParallel(indexes, SEED_CONCURRENCY, (index) => work(index));
}

/** The smallest and the largest size of a list or an album's shares, side by side. */
export interface ScaleParties {
  /** Owns the crowded album, the one-share album and the albums of the long lists. */
  readonly owner: string;
  /** Owns one album with one request on it: the short inbox. */
  readonly smallOwner: string;
  /** Holds a share on each of the long list's albums: the long `shared-with-me`. */
  readonly reader: string;
  /** Holds one share (on the one-share album): the short `shared-with-me`. */
  readonly smallReader: string;
  /** Asks for access to each of the long list's albums: the long outbox (and the owner's inbox). */
  readonly asker: string;
  /** Asks for access to the small owner's album: the short outbox. */
  readonly smallAsker: string;
}

/**
 * What the scale scenarios run against, grown in steps: an album shared with N people (`crowded`)
 * beside one shared with one (`single`), and N albums each shared with one reader and asked for
 * by one asker beside one of each. Every name starts with the run's prefix, so that a Keycloak
 * kept between runs never mixes them.
 */
export class ScalePopulation {
  readonly parties: ScaleParties;
  readonly tokens = new Tokens();
  /** The album with N shares, and the album with one. */
  crowded = '';
  single = '';
  /** The small owner's album, with one request on it. */
  smallOwnersAlbum = '';
  /** Shares on the crowded album so far. */
  crowdedShares = 0;
  /** Albums of the long lists so far. */
  readonly listAlbums: string[] = [];
  private readonly prefix: string;
  private readonly users: KeycloakUsers;
  private readonly albumUrls: readonly string[];
  private readonly permissionUrl: string;
  private readonly log: (line: string) => void;

  constructor(options: {
    keycloakUrl: string;
    albumUrls: readonly string[];
    permissionUrl: string;
    log: (line: string) => void;
  }) {
    this.prefix = `scale-${Date.now().toString(36)}`;
    this.users = new KeycloakUsers(options.keycloakUrl);
    this.albumUrls = options.albumUrls;
    this.permissionUrl = options.permissionUrl;
    this.log = options.log;
    const name = (role: string) => `${this.prefix}-${role}`;
    this.parties = {
      owner: name('owner'),
      smallOwner: name('owner1'),
      reader: name('reader'),
      smallReader: name('reader1'),
      asker: name('asker'),
      smallAsker: name('asker1'),
    };
  }

  /** A user name of this run's (`role` and `index` tell them apart). */
  username(role: string, index: number): string {
    return `${this.prefix}-${role}${index}`;
  }

  /** Creates users of this run, with a password (to log in) or without. */
  createUsers(usernames: readonly string[], password: boolean): Promise<void> {
    return this.users.createAll(usernames, password);
  }

  token(username: string): Promise<string> {
    return this.tokens.of(username);
  }

  /** The parties, the one-share album and the small owner's album with its one request. */
  async start(): Promise<void> {
    const started = Date.now();
    await this.users.createAll(Object.values(this.parties), true);
    const { owner, smallOwner, smallReader, smallAsker } = this.parties;
    const ownerToken = () => this.token(owner);
    [this.crowded = '', this.single = ''] = await createAlbums(
      this.albumUrls,
      ownerToken,
      2,
      `${this.prefix} shared`,
    );
    [this.smallOwnersAlbum = ''] = await createAlbums(
      this.albumUrls,
      () => this.token(smallOwner),
      1,
      `${this.prefix} asked`,
    );
    await share(this.permissionUrl, await ownerToken(), this.single, smallReader, ['album:view']);
    await request(this.permissionUrl, await this.token(smallAsker), this.smallOwnersAlbum, [
      'album:view',
    ]);
    this.log(`population: parties and small lists in ${elapsed(started)}`);
  }

  /** Shares the crowded album with people (without a password) until `count` hold a share. */
  async growCrowded(count: number): Promise<void> {
    const from = this.crowdedShares;
    if (count <= from) {
      return;
    }
    const started = Date.now();
    const names = Array.from({ length: count - from }, (_, offset) =>
      this.username('sharee', from + offset),
    );
    await this.users.createAll(names, false);
    const owner = this.parties.owner;
    await inParallel(names, SEED_CONCURRENCY, async (username) =>
      share(this.permissionUrl, await this.token(owner), this.crowded, username, ['album:view']),
    );
    this.crowdedShares = count;
    this.log(`population: ${count - from} more shares on one album in ${elapsed(started)}`);
  }

  /**
   * Adds albums of the owner's until there are `count`: each shared with the reader and asked for
   * by the asker, so that the reader's `shared-with-me`, the owner's inbox and the asker's outbox
   * each list `count`.
   */
  async growLists(count: number): Promise<void> {
    const from = this.listAlbums.length;
    if (count <= from) {
      return;
    }
    const started = Date.now();
    const { owner, reader, asker } = this.parties;
    const albums = await createAlbums(
      this.albumUrls,
      () => this.token(owner),
      count - from,
      `${this.prefix} listed ${from}+`,
    );
    await inParallel(albums, SEED_CONCURRENCY, async (albumId) => {
      await share(this.permissionUrl, await this.token(owner), albumId, reader, ['album:view']);
      await request(this.permissionUrl, await this.token(asker), albumId, ['album:view']);
    });
    this.listAlbums.push(...albums);
    this.log(
      `population: ${count - from} more albums, each shared and asked for, in ${elapsed(started)}`,
    );
  }
}

function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
