-- The SQL that PhotoRepository sends to PostgreSQL, as it sends it, one statement per method;
-- $n are the values the method passes. Written by test/repository-queries.e2e-spec.ts, which
-- fails when the code sends anything else; after changing a statement, refresh this file with
--   npx vitest run --project e2e test/repository-queries.e2e-spec.ts --update

-- PhotoRepository.insert
INSERT INTO photos (id, album_id, owner_id, file_name, content_type, size, checksum, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- PhotoRepository.usage
SELECT (SELECT count(*) FROM photos WHERE album_id = $2)::int AS album_photos,
       coalesce((SELECT bytes FROM owner_usage WHERE owner_id = $1), 0)::bigint AS bytes;

-- PhotoRepository.list
SELECT id, album_id, owner_id, file_name, content_type, size, checksum, created_at
  FROM photos WHERE album_id = $1 ORDER BY created_at, id;

-- PhotoRepository.find
SELECT id, album_id, owner_id, file_name, content_type, size, checksum, created_at
  FROM photos WHERE id = $1 AND album_id = $2;

-- PhotoRepository.delete
WITH deleted AS (DELETE FROM photos WHERE id = $1 AND album_id = $2 RETURNING id)
SELECT count(*)::int AS deleted FROM deleted;
