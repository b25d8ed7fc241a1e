-- Failed sign-ins, counted per account and per address over a sliding
-- window so that every server process enforces the same limits.
CREATE TABLE login_failures (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    account TEXT NOT NULL,
    address TEXT NOT NULL
) STRICT;
CREATE INDEX login_failures_account ON login_failures (account, at);
CREATE INDEX login_failures_address ON login_failures (address, at);
