-- Read model of the `messages` projection: channel history, newest first by message id
-- (ULIDs minted under the stream lock, so id order is log order).
CREATE TABLE messages (
  message_id text PRIMARY KEY,
  guild_id text NOT NULL,
  channel_id text NOT NULL,
  author_id text NOT NULL,
  content text NOT NULL,
  markdown_tokens text NOT NULL,        -- JSON array, derived from content at apply time
  attachment_ids text NOT NULL DEFAULT '[]',
  created_at_unix bigint NOT NULL
);
CREATE INDEX messages_history ON messages (channel_id, message_id DESC);
