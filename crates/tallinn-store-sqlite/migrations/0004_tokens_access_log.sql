-- API tokens: only the SHA-256 of the secret is stored; `prefix` (the
-- greppable start of the token) identifies it in lists and revocations.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_name  TEXT NOT NULL REFERENCES users(name),
    prefix     TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
) STRICT;

-- Reads of AMBER, AMBER+STRICT and RED records: who read what, when.
CREATE TABLE access_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    tlp       TEXT NOT NULL,
    via       TEXT NOT NULL
) STRICT;
CREATE INDEX access_log_at ON access_log (at);
