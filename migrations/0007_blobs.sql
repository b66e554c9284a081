-- Blob storage (ADR 0013): avatars, banners and attachments live outside the log. Every API
-- process of a deployment reaches this database, so it is the one store they all share.
-- An object's bytes are split into chunks written in the same transaction as its `blobs` row,
-- so a reader sees a whole object or none, also after a writer was killed mid-put. A replace
-- writes a new object id under the same key and drops the old chunks in that transaction.
-- None of these tables is a projection: replay neither reads nor rebuilds them.
CREATE SEQUENCE blob_object_ids;

CREATE TABLE blobs (
  key text PRIMARY KEY,                 -- "avatars/<user>", "banners/<user>", "attachments/<id>"
  object_id bigint NOT NULL UNIQUE,     -- new on every put: readers detect a replace by it
  size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
  sha256_hex text NOT NULL,
  mime_type text NOT NULL,
  chunk_count integer NOT NULL CHECK (chunk_count >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE blob_chunks (
  object_id bigint NOT NULL,
  seq integer NOT NULL,                 -- 0-based; every chunk but the last is full
  data bytea NOT NULL,
  PRIMARY KEY (object_id, seq)
);
-- Media is already compressed: store chunks out of line without trying pglz on them.
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
