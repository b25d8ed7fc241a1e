-- Secrets every server process of one installation shares, made on first
-- use: the key that signs the sign-in form's CSRF value, so that a cookie
-- planted by another site (or a sibling subdomain) cannot pass the check.
CREATE TABLE server_keys (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
