-- Read model of the `friends` projection. Rebuildable from the log (filament replay).
CREATE TABLE friend_requests (
  request_id text PRIMARY KEY,
  sender_user_id text NOT NULL,
  recipient_user_id text NOT NULL,
  created_at_unix bigint NOT NULL
);
CREATE INDEX friend_requests_sender ON friend_requests (sender_user_id);
CREATE INDEX friend_requests_recipient ON friend_requests (recipient_user_id);

CREATE TABLE friendships (
  user_id text NOT NULL,
  friend_user_id text NOT NULL,
  created_at_unix bigint NOT NULL,
  PRIMARY KEY (user_id, friend_user_id)
);
