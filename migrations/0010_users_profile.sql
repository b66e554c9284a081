-- Profiles (issue #6). The credential store owns username uniqueness (ADR 0006); the read
-- model only mirrors names in log order, and two renames on different partitions may apply
-- in either order, so the mirror must not refuse a transient duplicate.
ALTER TABLE users DROP CONSTRAINT users_username_key;
CREATE INDEX users_username ON users (username);
-- The current avatar and banner: BlobStore ids and metadata from the log (never bytes).
ALTER TABLE users
  ADD COLUMN avatar_blob_id text,
  ADD COLUMN avatar_mime text,
  ADD COLUMN avatar_sha256 text,
  ADD COLUMN avatar_size bigint,
  ADD COLUMN banner_blob_id text,
  ADD COLUMN banner_mime text,
  ADD COLUMN banner_sha256 text,
  ADD COLUMN banner_size bigint;
