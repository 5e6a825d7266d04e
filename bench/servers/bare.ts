/**
 * The floor of `npm run bench`: a bare Fastify route reading the same album row as
 * `GET /albums/:id` (with its Keycloak resource id) through one prepared statement of `pg`, and
 * answering the same JSON. No framework, no ORM, no authentication: what the hardware, Node and
 * PostgreSQL allow. `PORT`, `DATABASE_URL`; prints `listening <url>` when ready.
 */
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env['DATABASE_URL'], max: 10 });
const READ_ALBUM = {
  name: 'bench-read-album',
  text: `SELECT a.id, a.name, a.description, a.owner_id, a.owner_username, a.created_at,
                a.updated_at, l.resource_id
           FROM album_service.albums a
           LEFT JOIN album_service.uma_resource_links l ON l.entity_type = 'album' AND l.entity_id = a.id::text
          WHERE a.id = $1`,
};

interface AlbumRow {
  id: string;
  name: string;
  description: string | null;
  owner_id: string;
  owner_username: string;
  created_at: Date;
  updated_at: Date;
  resource_id: string | null;
}

const app = Fastify();
app.get<{ Params: { id: string } }>('/albums/:id', async (request, reply) => {
  const { rows } = await pool.query<AlbumRow>({ ...READ_ALBUM, values: [request.params.id] });
  const row = rows[0];
  if (row === undefined) {
    return reply.code(404).send({ status: 404 });
  }
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    ownerId: row.owner_id,
    ownerUsername: row.owner_username,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    keycloakResourceId: row.resource_id,
  };
});
app.get('/health/live', () => ({ status: 'up' }));

const address = await app.listen({ port: Number(process.env['PORT'] ?? 0), host: '127.0.0.1' });
console.log(`listening ${address}`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void app.close().then(() => pool.end());
  });
}
