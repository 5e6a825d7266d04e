-- The SQL that AlbumRepository sends to PostgreSQL, as it sends it, one statement per method;
-- $n are the values the method passes. Written by test/repository-queries.e2e-spec.ts, which
-- fails when the code sends anything else; after changing a statement, refresh this file with
--   npx vitest run --project e2e test/repository-queries.e2e-spec.ts --update

-- AlbumRepository.findForAccess, the access check of every guarded album route, for a caller
-- with an RPT: the album and its resource id ("album-read", below), with what the RPT's subject
-- ($2) holds on the resource now (added by CurrentGrantRepository.loadWithCurrentGrant)
-- (prepared as "album-read+current-grant")
SELECT entity.*, (SELECT held.scopes FROM uma_access.current_grants held
                 WHERE held.resource_id = entity.resource_id AND held.subject = $2
                   AND (held.expires_at IS NULL OR held.expires_at > now())
               ) AS current_grant_scopes
               FROM (SELECT album.id, album.name, album.description, album.owner_id, album.owner_username,
       album.created_at, album.updated_at, link.resource_id
  FROM albums album
  LEFT JOIN uma_resource_links link
    ON link.entity_type = 'album' AND link.entity_id = album.id::text
 WHERE album.id = $1) entity;

-- AlbumRepository.findForAccess, for a caller without an RPT (the owner, say)
-- AlbumRepository.find
-- (prepared as "album-read")
SELECT album.id, album.name, album.description, album.owner_id, album.owner_username,
       album.created_at, album.updated_at, link.resource_id
  FROM albums album
  LEFT JOIN uma_resource_links link
    ON link.entity_type = 'album' AND link.entity_id = album.id::text
 WHERE album.id = $1;

-- AlbumRepository.page
SELECT album.id, album.name, album.description, album.owner_id, album.owner_username,
       album.created_at, album.updated_at, link.resource_id
  FROM albums album
  LEFT JOIN uma_resource_links link
    ON link.entity_type = 'album' AND link.entity_id = album.id::text
 WHERE (album.created_at, album.id) < ($1, $2)
 ORDER BY album.created_at DESC, album.id DESC
 LIMIT $3;

-- AlbumRepository.page (one owner)
SELECT album.id, album.name, album.description, album.owner_id, album.owner_username,
       album.created_at, album.updated_at, link.resource_id
  FROM albums album
  LEFT JOIN uma_resource_links link
    ON link.entity_type = 'album' AND link.entity_id = album.id::text
 WHERE album.owner_id = $1 AND (album.created_at, album.id) < ($2, $3)
 ORDER BY album.created_at DESC, album.id DESC
 LIMIT $4;

-- AlbumRepository.all
SELECT album.id, album.name, album.description, album.owner_id, album.owner_username,
       album.created_at, album.updated_at
  FROM albums album;

-- AlbumRepository.load
SELECT album.id, album.name, album.description, album.owner_id, album.owner_username,
       album.created_at, album.updated_at
  FROM albums album WHERE album.id = $1;

-- AlbumRepository.lock
SELECT album.id, album.name, album.description, album.owner_id, album.owner_username,
       album.created_at, album.updated_at
  FROM albums album WHERE album.id = $1 FOR UPDATE;

-- AlbumRepository.lockOwner
SELECT pg_advisory_xact_lock(hashtextextended($1, 0));

-- AlbumRepository.countOwnedBy
SELECT count(*)::int AS albums FROM albums WHERE owner_id = $1;

-- AlbumRepository.update
UPDATE albums SET name = $2, description = $3, updated_at = $4 WHERE id = $1;

-- AlbumRepository.insert
INSERT INTO albums (id, name, description, owner_id, owner_username, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- AlbumRepository.delete
DELETE FROM albums WHERE id = $1;
