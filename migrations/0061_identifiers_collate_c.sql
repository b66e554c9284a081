-- The identifiers that the hottest indexes are built on compare bytewise (COLLATE "C"): the
-- event log's stream and event id, and the ids of the messages read model (ADR 0111).
--
-- Under any other collation, including the C.UTF-8 that `filament` initializes its embedded
-- cluster with, PostgreSQL 15 compares text through strcoll() on NUL-terminated copies and
-- sorts without abbreviated keys: every index descent of an append (the stream's version
-- probes, the event id's uniqueness) and of a message row paid for it. These values are ULIDs
-- and ASCII names, so the order is the same as before under C.UTF-8 (code point order), and now
-- also under a server whose default collation is a natural-language one: ids sort as the code
-- that mints them expects.
--
-- The columns keep their type, so the tables are not rewritten; their indexes are rebuilt once,
-- by this migration. Parameters and literals compared with these columns take their collation.
ALTER TABLE event_log
  ALTER COLUMN stream TYPE text COLLATE "C",
  ALTER COLUMN event_id TYPE text COLLATE "C";

ALTER TABLE messages
  ALTER COLUMN message_id TYPE text COLLATE "C",
  ALTER COLUMN guild_id TYPE text COLLATE "C",
  ALTER COLUMN channel_id TYPE text COLLATE "C",
  ALTER COLUMN author_id TYPE text COLLATE "C";

ALTER TABLE message_reactions
  ALTER COLUMN message_id TYPE text COLLATE "C",
  ALTER COLUMN emoji TYPE text COLLATE "C",
  ALTER COLUMN user_id TYPE text COLLATE "C";

ALTER TABLE attachments
  ALTER COLUMN attachment_id TYPE text COLLATE "C",
  ALTER COLUMN guild_id TYPE text COLLATE "C",
  ALTER COLUMN channel_id TYPE text COLLATE "C",
  ALTER COLUMN owner_id TYPE text COLLATE "C",
  ALTER COLUMN message_id TYPE text COLLATE "C";
