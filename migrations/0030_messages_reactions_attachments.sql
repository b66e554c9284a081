-- Read model of the `messages` projection, continued (issue #8): reactions and attachments.
-- One row per user reacting with one emoji on a live message (deleted with the message).
CREATE TABLE message_reactions (
  message_id text NOT NULL,
  emoji text NOT NULL,
  user_id text NOT NULL,
  PRIMARY KEY (message_id, emoji, user_id)
);
-- Live attachments: unbound (message_id NULL) or bound to a live message at position
-- bind_index of its attachment list.
CREATE TABLE attachments (
  attachment_id text PRIMARY KEY,
  guild_id text NOT NULL,
  channel_id text NOT NULL,
  owner_id text NOT NULL,
  filename text NOT NULL,
  mime_type text NOT NULL,
  size_bytes bigint NOT NULL,
  sha256_hex text NOT NULL,
  uploaded_at_unix bigint NOT NULL,
  message_id text,
  bind_index integer
);
CREATE INDEX attachments_by_message ON attachments (message_id, bind_index)
  WHERE message_id IS NOT NULL;
