-- Accounts can be disabled, enabled again and removed (docs/adr/0013-accounts.md).
-- `credentials_version` grows with every password change, disabling and
-- removal: a server process that remembered a verified credential or a
-- resolved token checks it against this number before trusting it, so a
-- change takes effect at once on every process.
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'removed'));
ALTER TABLE users ADD COLUMN credentials_version INTEGER NOT NULL DEFAULT 0;
