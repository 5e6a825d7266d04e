import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CurrentGrantRepository } from '@app/grant-record';
import { postgresOptions } from '@app/common';
import { AlbumRepository } from '../apps/album-service/src/albums/album.repository.ts';
import type { Album } from '../apps/album-service/src/albums/album.ts';
import { ALBUM_SERVICE_SCHEMA } from '../apps/album-service/src/database/schema.ts';
import { PhotoRepository } from '../apps/album-service/src/photos/photo.repository.ts';
import { TEST_DATABASE_URL } from './setup/test-env.ts';

/**
 * The album service's repositories' SQL, committed in `apps/album-service/src/queries/` so that a
 * reader sees what runs (the guarded read first): each file is what the repository sends to
 * PostgreSQL, captured here from the wire while every method runs against the real database, and
 * this suite fails when the code and the file differ.
 */
const QUERIES = '../apps/album-service/src/queries';
const HEADER = `-- The SQL that %s sends to PostgreSQL, as it sends it, one statement per method;
-- $n are the values the method passes. Written by test/repository-queries.e2e-spec.ts, which
-- fails when the code sends anything else; after changing a statement, refresh this file with
--   npx vitest run --project e2e test/repository-queries.e2e-spec.ts --update
`;

/** Every statement sent while recording, and the name it was prepared under, if any. */
interface Sent {
  readonly text: string;
  readonly name: string | undefined;
}

const sent: Sent[] = [];
let recording = false;
// oxlint-disable-next-line typescript/unbound-method -- put back as it was, called on its client
const send = pg.Client.prototype.query;
function recordingQuery(this: pg.Client, ...args: unknown[]): unknown {
  const [config] = args;
  if (recording) {
    sent.push(
      typeof config === 'string'
        ? { text: config, name: undefined }
        : { text: (config as pg.QueryConfig).text, name: (config as pg.QueryConfig).name },
    );
  }
  return (send as (...values: unknown[]) => unknown).apply(this, args);
}

/** A committed file's entries: what each statement is for, and the statement. */
class QueryFile {
  private readonly entries: { readonly labels: string[]; readonly sent: Sent }[] = [];

  constructor(private readonly repository: string) {}

  /** Runs `work` and files what it sent under `label` (a statement sent before: one more label). */
  async record<T>(label: string, work: () => Promise<T>): Promise<T> {
    sent.length = 0;
    recording = true;
    try {
      return await work();
    } finally {
      recording = false;
      for (const statement of sent) {
        const known = this.entries.find((entry) => entry.sent.text === statement.text);
        if (known === undefined) {
          this.entries.push({ labels: [label], sent: statement });
        } else if (!known.labels.includes(label)) {
          known.labels.push(label);
        }
      }
    }
  }

  get text(): string {
    const blocks = this.entries.map(({ labels, sent: { text, name } }) => {
      const prepared = name === undefined ? [] : [`-- (prepared as "${name}")`];
      const heads = [...labels.map((label) => `-- ${this.repository}.${label}`), ...prepared];
      return `${heads.join('\n')}\n${text};\n`;
    });
    return [HEADER.replace('%s', this.repository), ...blocks].join('\n');
  }

  /** The statement filed under `label`, as the file holds it. */
  statement(label: string): string {
    const block = this.text.split('\n\n').find((candidate) => candidate.includes(`.${label}\n`));
    const statement = block
      ?.split('\n')
      .filter((line) => !line.startsWith('--'))
      .join('\n');
    if (statement === undefined) {
      throw new Error(`${this.repository} has no statement for ${label}`);
    }
    return statement.replace(/;\n?$/, '');
  }
}

const GUARDED_WITH_RPT = `findForAccess, the access check of every guarded album route, for a caller
-- with an RPT: the album and its resource id ("album-read", below), with what the RPT's subject
-- ($2) holds on the resource now (added by CurrentGrantRepository.loadWithCurrentGrant)`;
const GUARDED_WITHOUT_RPT = 'findForAccess, for a caller without an RPT (the owner, say)';

describe("the album service's repositories' SQL", () => {
  const dataSource = new DataSource(
    postgresOptions({ url: TEST_DATABASE_URL, schema: ALBUM_SERVICE_SCHEMA, poolSize: 2 }, {}),
  );
  const database = new pg.Client({ connectionString: TEST_DATABASE_URL });
  const albums = new AlbumRepository(dataSource, new CurrentGrantRepository(dataSource));
  const photos = new PhotoRepository(dataSource);
  const albumFile = new QueryFile('AlbumRepository');
  const photoFile = new QueryFile('PhotoRepository');
  const owner = `queries-${randomUUID()}`;
  const resourceId = `resource-${randomUUID()}`;
  const now = new Date();
  const album: Album = {
    id: randomUUID(),
    name: 'Read by the book',
    description: null,
    ownerId: owner,
    ownerUsername: 'queries',
    createdAt: now,
    updatedAt: now,
  };
  const inTransaction = (work: (manager: EntityManager) => Promise<unknown>) =>
    dataSource.transaction(async (manager: EntityManager) => {
      await work(manager);
    });

  beforeAll(async () => {
    await dataSource.initialize();
    await database.connect();
    // The repositories' SQL names the service's tables without their schema, as the service runs it.
    await database.query(`SET search_path = ${ALBUM_SERVICE_SCHEMA}, public`);
    pg.Client.prototype.query = recordingQuery as typeof pg.Client.prototype.query;
    await inTransaction((manager) => albums.insert(manager, album));
    await database.query(
      `INSERT INTO ${ALBUM_SERVICE_SCHEMA}.uma_resource_links (entity_type, entity_id, resource_id)
       VALUES ('album', $1, $2)`,
      [album.id, resourceId],
    );
    await database.query(
      `INSERT INTO uma_access.current_grants (resource_id, subject, scopes, updated_at, expires_at)
       VALUES ($1, 'bob-id', '{album:view}', now(), NULL),
              ($1, 'dave-id', '{album:view}', now(), now() + interval '1 hour'),
              ($1, 'erin-id', '{album:view}', now(), now() - interval '1 second')`,
      [resourceId],
    );
  });
  afterAll(async () => {
    pg.Client.prototype.query = send;
    await database.query('DELETE FROM uma_access.current_grants WHERE resource_id = $1', [
      resourceId,
    ]);
    await database.query(
      `DELETE FROM ${ALBUM_SERVICE_SCHEMA}.uma_resource_links WHERE resource_id = $1`,
      [resourceId],
    );
    await database.query(`DELETE FROM ${ALBUM_SERVICE_SCHEMA}.albums WHERE id = $1`, [album.id]);
    await database.query(`DELETE FROM ${ALBUM_SERVICE_SCHEMA}.owner_usage WHERE owner_id = $1`, [
      owner,
    ]);
    await database.end();
    await dataSource.destroy();
  });

  it('reads, in the access check, the album, its resource and what the caller holds now', async () => {
    const holder = await albumFile.record(GUARDED_WITH_RPT, () =>
      albums.findForAccess(album.id, 'bob-id'),
    );
    const stranger = await albums.findForAccess(album.id, 'carol-id');
    // A grant holds until its expiry, and nothing from it on, whether or not it was swept.
    const untilLater = await albums.findForAccess(album.id, 'dave-id');
    const expired = await albums.findForAccess(album.id, 'erin-id');
    const byOwner = await albumFile.record(GUARDED_WITHOUT_RPT, () =>
      albums.findForAccess(album.id, undefined),
    );
    expect(holder).toMatchObject({ album, resourceId });
    expect(holder?.grant.scopes).toEqual(['album:view']);
    expect(stranger?.grant.scopes).toEqual([]);
    expect(untilLater?.grant.scopes).toEqual(['album:view']);
    expect(expired?.grant.scopes).toEqual([]);
    expect(byOwner).toMatchObject({ album, resourceId });
    expect(byOwner?.grant.scopes).toEqual([]);
    expect(await albums.findForAccess(randomUUID(), 'bob-id')).toBeUndefined();
  });

  it("reads the album's other ways, each through the same columns", async () => {
    expect(await albumFile.record('find', () => albums.find(album.id))).toMatchObject({ album });
    const page = await albumFile.record('page', () => albums.page({ limit: 1 }));
    expect(page).toHaveLength(1);
    const owned = (after?: Album) =>
      albumFile.record('page (one owner)', async () =>
        (await albums.page({ ownerId: owner, limit: 2, after })).map((record) => record.album.id),
      );
    expect(await owned()).toEqual([album.id]);
    expect(await owned(album)).toEqual([]);
    const all = await albumFile.record('all', () => albums.all());
    expect(all.map((entry) => entry.id)).toContain(album.id);
    await inTransaction(async (manager) => {
      expect(await albumFile.record('load', () => albums.load(manager, album.id))).toEqual(album);
      expect(await albumFile.record('lock', () => albums.lock(manager, album.id))).toEqual(album);
      await albumFile.record('lockOwner', () => albums.lockOwner(manager, owner));
      expect(
        await albumFile.record('countOwnedBy', () => albums.countOwnedBy(manager, owner)),
      ).toBe(1);
      await albumFile.record('update', () =>
        albums.update(manager, { ...album, description: 'Changed' }),
      );
    });
    expect((await albums.find(album.id))?.album.description).toBe('Changed');
  });

  it("keeps what the owner's photos weigh with every photo written", async () => {
    const second: Album = { ...album, id: randomUUID(), name: 'Deleted with its photos' };
    await inTransaction((manager) =>
      albumFile.record('insert', () => albums.insert(manager, second)),
    );
    const photo = {
      id: randomUUID(),
      albumId: second.id,
      ownerId: owner,
      fileName: 'a.png',
      contentType: 'image/png',
      size: 300,
      checksum: 'a'.repeat(64),
      createdAt: now,
    };
    await inTransaction((manager) =>
      photoFile.record('insert', () => photos.insert(manager, photo)),
    );
    await inTransaction((manager) =>
      photos.insert(manager, { ...photo, id: randomUUID(), size: 200 }),
    );
    const usage = () =>
      photoFile.record('usage', () => photos.usage(dataSource.manager, owner, second.id));
    expect(await usage()).toEqual({ albumPhotos: 2, bytes: 500 });
    expect(await photoFile.record('list', () => photos.list(second.id))).toHaveLength(2);
    expect(await photoFile.record('find', () => photos.find(second.id, photo.id))).toEqual(photo);
    expect(await photoFile.record('delete', () => photos.delete(second.id, photo.id))).toBe(true);
    expect(await photos.delete(second.id, photo.id)).toBe(false);
    expect(await usage()).toEqual({ albumPhotos: 1, bytes: 200 });
    await inTransaction((manager) =>
      albumFile.record('delete', () => albums.delete(manager, second.id)),
    );
    expect(await usage()).toEqual({ albumPhotos: 0, bytes: 0 });
  });

  it('sends exactly the SQL committed in apps/album-service/src/queries', async () => {
    await expect(albumFile.text).toMatchFileSnapshot(`${QUERIES}/album.repository.sql`);
    await expect(photoFile.text).toMatchFileSnapshot(`${QUERIES}/photo.repository.sql`);
  });

  it('gives, run from the file (equal to the committed one), the rows the access check reads', async () => {
    const statement = albumFile.statement(GUARDED_WITH_RPT);
    const { rows } = await database.query(statement, [album.id, 'bob-id']);
    expect(rows).toEqual([
      expect.objectContaining({
        id: album.id,
        resource_id: resourceId,
        current_grant_scopes: ['album:view'],
      }),
    ]);
  });
});
