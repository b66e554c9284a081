-- The session sweeper (LIMITS.md §1.3, ADR 0020 addendum) deletes expired refresh sessions and
-- old used-token records in bounded batches: it finds them by time, and the cascade from a
-- session to its used-token records (and rotation's per-session prune) finds those by session.
CREATE INDEX auth_sessions_expiry ON auth_sessions (expires_at_unix);
CREATE INDEX auth_used_refresh_tokens_session ON auth_used_refresh_tokens (session_id);
CREATE INDEX auth_used_refresh_tokens_used_at ON auth_used_refresh_tokens (used_at_unix);
