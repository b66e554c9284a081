-- The credential store's half of `filament admin reset-password` (ADR 0066): the new hash is
-- written as pending under a fresh reset id before UserPasswordReset is appended, and becomes
-- the password only once the log holds that reset id, so a crash never half-applies a reset.
ALTER TABLE credentials
  ADD COLUMN pending_password_hash text,
  ADD COLUMN pending_reset_id text;
