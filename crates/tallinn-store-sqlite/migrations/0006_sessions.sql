-- Browser sessions: only the SHA-256 of the cookie secret is stored, so a
-- database copy holds no usable session; `csrf` guards cookie-authenticated
-- writes. Any server process can check any session.
CREATE TABLE sessions (
    id         INTEGER PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,
    user_name  TEXT NOT NULL REFERENCES users(name),
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    closed_at  INTEGER
) STRICT;
