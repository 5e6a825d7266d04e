import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { TEST_DATABASE_URL } from './setup/test-env.ts';
import { createAlbum, type Photo, registeredResourceId, uploadPhoto } from './support/albums.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { login } from '../scripts/dev-realm/tokens.ts';

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  randomBytes(2048),
]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(4096)]);
const GIF = Buffer.concat([Buffer.from('GIF89a'), randomBytes(100)]);
const WEBP = Buffer.concat([
  Buffer.from('RIFF'),
  Buffer.from([0, 0, 0, 0]),
  Buffer.from('WEBPVP8 '),
  randomBytes(100),
]);

describe('photos', () => {
  let service: RunningService;
  let alice: string;
  let jdoe: string;
  let db: pg.Client;

  async function photoRows(albumId: string): Promise<number> {
    const result = await db.query<{ count: string }>(
      `SELECT count(*) FROM album_service.photos p JOIN album_service.photo_contents c ON c.photo_id = p.id
        WHERE p.album_id = $1`,
      [albumId],
    );
    const orphans = await db.query<{ count: string }>(
      'SELECT count(*) FROM album_service.photos p WHERE NOT EXISTS (SELECT 1 FROM album_service.photo_contents c WHERE c.photo_id = p.id)',
    );
    expect(orphans.rows[0]?.count).toBe('0');
    return Number(result.rows[0]?.count);
  }

  beforeAll(async () => {
    service = await startService(albumService);
    alice = (await login('alice')).access_token;
    jdoe = (await login('jdoe')).access_token;
    db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await service.close();
  });

  it('uploads and downloads byte-identical images of every accepted type, judged by the bytes', async () => {
    const album = await createAlbum(service.url, alice, 'Pictures');
    for (const [bytes, type] of [
      [PNG, 'image/png'],
      [JPEG, 'image/jpeg'],
      [GIF, 'image/gif'],
      [WEBP, 'image/webp'],
    ] as const) {
      // The name and the declared type lie; the bytes decide.
      const created = await uploadPhoto(service.url, alice, album.id, {
        bytes,
        name: 'holiday.txt',
        type: 'text/plain',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        albumId: album.id,
        contentType: type,
        size: bytes.length,
        fileName: 'holiday.txt',
      });
      const download = await fetch(
        `${service.url}/albums/${album.id}/photos/${created.body.id}/content`,
        {
          headers: { authorization: `Bearer ${alice}` },
        },
      );
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toBe(type);
      expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
    }
    const list = await call<Photo[]>(service.url, 'GET', `/albums/${album.id}/photos`, {
      token: alice,
    });
    expect(list.body.map((photo) => photo.contentType)).toEqual([
      'image/png',
      'image/jpeg',
      'image/gif',
      'image/webp',
    ]);
  });

  it('refuses too large, wrong type, empty and missing files with a clear 4xx, and keeps nothing', async () => {
    const album = await createAlbum(service.url, alice, 'Strict');
    const tooLarge = await uploadPhoto(service.url, alice, album.id, {
      bytes: Buffer.concat([PNG, Buffer.alloc(10 * 1024 * 1024)]),
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.detail).toContain('10 MB');

    const text = await uploadPhoto(service.url, alice, album.id, {
      bytes: Buffer.from('just text, named like a jpeg'),
      name: 'x.jpg',
      type: 'image/jpeg',
    });
    expect(text.status).toBe(415);
    expect(text.body.detail).toContain('JPEG, PNG, WebP and GIF');

    const empty = await uploadPhoto(service.url, alice, album.id, { bytes: Buffer.alloc(0) });
    expect(empty.status).toBe(400);

    const missing = await uploadPhoto(service.url, alice, album.id, {});
    expect(missing.status).toBe(400);
    expect(missing.body.errors?.map((error) => error.field)).toContain('file');

    const wrongField = await uploadPhoto(service.url, alice, album.id, {
      bytes: PNG,
      field: 'image',
    });
    expect(wrongField.status).toBe(400);

    const json = await call(service.url, 'POST', `/albums/${album.id}/photos`, {
      token: alice,
      body: { file: 'x' },
    });
    expect(json.status).toBe(415);

    expect(await photoRows(album.id)).toBe(0);
  });

  it("keeps a stranger out of an album's photos and answers 404 for unknown or foreign photos", async () => {
    const album = await createAlbum(service.url, alice, 'Guarded');
    const other = await createAlbum(service.url, alice, 'Other');
    const photo = (await uploadPhoto(service.url, alice, album.id, { bytes: PNG })).body;
    await registeredResourceId(service.url, alice, album.id);
    expect((await uploadPhoto(service.url, jdoe, album.id, { bytes: PNG })).status).toBe(401);
    expect(
      (await call(service.url, 'GET', `/albums/${album.id}/photos`, { token: jdoe })).status,
    ).toBe(401);
    expect(
      (
        await call(service.url, 'GET', `/albums/${album.id}/photos/${photo.id}/content`, {
          token: jdoe,
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await call(service.url, 'GET', `/albums/${other.id}/photos/${photo.id}/content`, {
          token: alice,
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await call(service.url, 'GET', `/albums/${album.id}/photos/not-a-uuid/content`, {
          token: alice,
        })
      ).status,
    ).toBe(400);
    expect(await photoRows(album.id)).toBe(1);
  });

  it('deletes a photo, and an album with its photos', async () => {
    const album = await createAlbum(service.url, alice, 'Temporary');
    const first = (await uploadPhoto(service.url, alice, album.id, { bytes: PNG })).body;
    await uploadPhoto(service.url, alice, album.id, { bytes: JPEG });
    expect(
      (
        await call(service.url, 'DELETE', `/albums/${album.id}/photos/${first.id}`, {
          token: alice,
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await call(service.url, 'DELETE', `/albums/${album.id}/photos/${first.id}`, {
          token: alice,
        })
      ).status,
    ).toBe(404);
    expect(await photoRows(album.id)).toBe(1);
    expect(
      (await call(service.url, 'DELETE', `/albums/${album.id}`, { token: alice })).status,
    ).toBe(204);
    expect(await photoRows(album.id)).toBe(0);
  });
});
