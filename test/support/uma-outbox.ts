import pg from 'pg';
import { TEST_DATABASE_URL } from '../setup/test-env.ts';

export interface OutboxRow {
  readonly id: string;
  readonly operation: 'upsert' | 'delete';
  readonly status: 'pending' | 'parked';
  readonly attempts: number;
  readonly lastError: string | null;
}

/** The album service's outbox and resource links, read and steered directly in the test database. */
export class OutboxTables {
  private readonly client = new pg.Client({ connectionString: TEST_DATABASE_URL });

  async connect(): Promise<void> {
    await this.client.connect();
  }

  end(): Promise<void> {
    return this.client.end();
  }

  /** An album's events, oldest first. */
  async eventsOf(albumId: string): Promise<OutboxRow[]> {
    const { rows } = await this.client.query<OutboxRow>(
      `SELECT id, operation, status, attempts, last_error AS "lastError"
         FROM album_service.uma_outbox
        WHERE entity_type = 'album' AND entity_id = $1
        ORDER BY id`,
      [albumId],
    );
    return rows;
  }

  /** Skips the backoff of an album's pending events: their next attempt is due now. */
  async makeDue(albumId: string): Promise<void> {
    await this.client.query(
      `UPDATE album_service.uma_outbox SET next_attempt_at = now()
        WHERE entity_type = 'album' AND entity_id = $1 AND status = 'pending'`,
      [albumId],
    );
  }

  /** Writes an event as the outbox writer would, or as the relay leaves it once parked. */
  async insert(event: {
    albumId: string;
    operation: 'upsert' | 'delete';
    resource: Record<string, unknown>;
    parkedWith?: string;
  }): Promise<string> {
    const { rows } = await this.client.query<{ id: string }>(
      `INSERT INTO album_service.uma_outbox
              (entity_type, entity_id, operation, resource, status, attempts, last_error)
       VALUES ('album', $1, $2, $3, $4, $5, $6) RETURNING id`,
      [
        event.albumId,
        event.operation,
        JSON.stringify(event.resource),
        event.parkedWith === undefined ? 'pending' : 'parked',
        event.parkedWith === undefined ? 0 : 5,
        event.parkedWith ?? null,
      ],
    );
    return rows[0]?.id ?? '';
  }

  /** Removes an album's events (those a test wrote for an entity that does not exist). */
  async clear(albumId: string): Promise<void> {
    await this.client.query(
      `DELETE FROM album_service.uma_outbox WHERE entity_type = 'album' AND entity_id = $1`,
      [albumId],
    );
  }

  async linkOf(albumId: string): Promise<string | undefined> {
    const { rows } = await this.client.query<{ resource_id: string }>(
      `SELECT resource_id FROM album_service.uma_resource_links
        WHERE entity_type = 'album' AND entity_id = $1`,
      [albumId],
    );
    return rows[0]?.resource_id;
  }

  async removeLink(albumId: string): Promise<void> {
    await this.client.query(
      `DELETE FROM album_service.uma_resource_links WHERE entity_type = 'album' AND entity_id = $1`,
      [albumId],
    );
  }

  /** Waits until a running relay has delivered every event of the album. */
  async delivered(albumId: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.eventsOf(albumId)).length > 0) {
      if (Date.now() > deadline) {
        throw new Error(`the events of album ${albumId} were not delivered within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** What the album service registers for an album (see `AlbumResource`). */
export function albumResourceDescription(
  albumId: string,
  ownerId: string,
  deployment: string,
): Record<string, unknown> {
  return {
    name: `album-${albumId}`,
    displayName: 'Written by the test',
    type: 'urn:photoz:album',
    ownerId,
    uris: [`/albums/${albumId}`],
    scopes: ['album:view', 'album:edit', 'album:delete'],
    attributes: { deployment: [deployment] },
  };
}
