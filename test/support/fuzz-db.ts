import pg from 'pg';

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/**
 * Tables a service writes on its own schedule, whatever the requests: the permission service's
 * watch of Keycloak's admin events moves its cursor every few seconds; and the parties it keeps
 * are what Keycloak said of a name, written by any lookup (a refused share's too), not a change.
 * The failed redemptions of invitation links are what a refused redemption is meant to leave: the
 * count its rate limit goes by.
 */
const BACKGROUND_TABLES = new Set([
  'permission_service.keycloak_watch',
  'permission_service.parties',
  'permission_service.invitation_redeem_failures',
]);

/**
 * Every table of the test database (the services' schemas and the shared `uma_access`), found in
 * the catalogue so that a table added by a later migration is watched too.
 */
export class DatabaseTables {
  private constructor(
    private readonly pool: pg.Pool,
    readonly names: readonly string[],
    private readonly snapshotSql: string,
  ) {}

  static async open(url: string): Promise<DatabaseTables> {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const { rows } = await pool.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE'
          AND table_schema NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 1, 2`,
    );
    const watched = rows.filter((row) => !BACKGROUND_TABLES.has(`${row.schema}.${row.name}`));
    const names = watched.map((row) => `${row.schema}.${row.name}`);
    // A count and an order-independent digest of every row: any insert, update or delete shows.
    const snapshotSql = watched
      .map(
        (row) =>
          `SELECT '${row.schema}.${row.name}' AS name,
                  count(*)::text || ' rows, md5 ' ||
                  coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '-') AS digest
             FROM ${quote(row.schema)}.${quote(row.name)} t`,
      )
      .join(' UNION ALL ');
    return new DatabaseTables(pool, names, snapshotSql);
  }

  async snapshot(): Promise<Record<string, string>> {
    const { rows } = await this.pool.query<{ name: string; digest: string }>(this.snapshotSql);
    return Object.fromEntries(rows.map((row) => [row.name, row.digest]));
  }

  query<R extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(sql, values);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Tables whose fixture rows are kept, parents first, and how to find those rows. */
const FIXTURE_TABLES = [
  ['album_service.albums', 'id::text = ANY($1)'],
  ['album_service.photos', 'album_id::text = ANY($1)'],
  [
    'album_service.photo_contents',
    'photo_id IN (SELECT id FROM album_service.photos WHERE album_id::text = ANY($1))',
  ],
  ['album_service.uma_resource_links', 'entity_id = ANY($1)'],
] as const;

/**
 * The fixture albums' rows as they were after setup. A fuzzed request that is valid after all
 * (alice deleting her own album) succeeds; putting the rows back keeps the real ids meaningful for
 * the requests that follow.
 */
export class FixtureRows {
  private constructor(
    private readonly tables: DatabaseTables,
    private readonly saved: readonly (readonly [string, string])[],
  ) {}

  static async capture(tables: DatabaseTables, albumIds: readonly string[]): Promise<FixtureRows> {
    const saved: [string, string][] = [];
    for (const [table, where] of FIXTURE_TABLES) {
      const { rows } = await tables.query<{ rows: unknown }>(
        `SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]'::jsonb) AS rows FROM ${table} t WHERE ${where}`,
        [albumIds],
      );
      saved.push([table, JSON.stringify(rows[0]?.rows ?? [])]);
    }
    return new FixtureRows(tables, saved);
  }

  async restore(): Promise<void> {
    for (const [table, rows] of this.saved) {
      await this.tables.query(
        `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)
          ON CONFLICT DO NOTHING`,
        [rows],
      );
    }
  }
}
