-- The ledger on SQLite. Instants are INTEGER microseconds since the Unix
-- epoch (UTC), dates are 'YYYY-MM-DD' TEXT, money is INTEGER minor units,
-- lists are JSON TEXT, booleans are 0/1. All values are bound from Rust.

CREATE TABLE participants (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('member', 'observer', 'beneficiary', 'implementer', 'office')),
    parent      TEXT REFERENCES participants(code),
    joined      TEXT,
    left_on     TEXT,
    synthetic   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    org           TEXT NOT NULL REFERENCES participants(code),
    role          TEXT NOT NULL,
    panel         TEXT,
    password_hash TEXT,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE needs (
    id                INTEGER PRIMARY KEY,
    beneficiary       TEXT NOT NULL REFERENCES participants(code),
    title             TEXT NOT NULL,
    description       TEXT NOT NULL,
    capability        TEXT NOT NULL,
    sector            TEXT NOT NULL,
    urgency           TEXT NOT NULL,
    cost_eur_minor    INTEGER NOT NULL CHECK (cost_eur_minor > 0),
    funded_eur_minor  INTEGER NOT NULL CHECK (funded_eur_minor >= 0 AND funded_eur_minor <= cost_eur_minor),
    divisible         INTEGER NOT NULL,
    deadline          TEXT,
    status            TEXT NOT NULL,
    tlp               TEXT NOT NULL,
    share_orgs        TEXT NOT NULL,
    share_users       TEXT NOT NULL,
    tags              TEXT NOT NULL,
    reserved_by       TEXT REFERENCES participants(code),
    reserved_until    INTEGER,
    synthetic         INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    created_by        TEXT NOT NULL
) STRICT;
CREATE INDEX needs_status ON needs (status);
CREATE INDEX needs_beneficiary ON needs (beneficiary);

CREATE TABLE need_transitions (
    id          INTEGER PRIMARY KEY,
    need_id     INTEGER NOT NULL REFERENCES needs(id),
    from_status TEXT,
    to_status   TEXT NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    note        TEXT NOT NULL
) STRICT;
CREATE INDEX need_transitions_need ON need_transitions (need_id);

CREATE TABLE reviews (
    id                   INTEGER PRIMARY KEY,
    need_id              INTEGER NOT NULL REFERENCES needs(id),
    panel                TEXT NOT NULL,
    reviewer             TEXT NOT NULL REFERENCES users(name),
    decision             TEXT NOT NULL,
    feasibility          INTEGER,
    relevance            INTEGER,
    importance           INTEGER,
    comment              TEXT NOT NULL,
    conflict_of_interest INTEGER NOT NULL,
    at                   INTEGER NOT NULL
) STRICT;
CREATE INDEX reviews_need ON reviews (need_id);

CREATE TABLE pledges (
    id                     INTEGER PRIMARY KEY,
    donor                  TEXT NOT NULL REFERENCES participants(code),
    title                  TEXT NOT NULL,
    kind                   TEXT NOT NULL,
    amount_minor           INTEGER NOT NULL CHECK (amount_minor > 0),
    currency               TEXT NOT NULL,
    eur_minor              INTEGER NOT NULL CHECK (eur_minor >= 0),
    allocated_eur_minor    INTEGER NOT NULL CHECK (allocated_eur_minor >= 0 AND allocated_eur_minor <= eur_minor),
    rate                   TEXT NOT NULL,
    rate_date              TEXT NOT NULL,
    rate_source            TEXT NOT NULL,
    items                  TEXT NOT NULL,
    valuation              TEXT,
    pledged_on             TEXT NOT NULL,
    budget_years           TEXT NOT NULL,
    earmark_capabilities   TEXT NOT NULL,
    earmark_sectors        TEXT NOT NULL,
    earmark_beneficiaries  TEXT NOT NULL,
    status                 TEXT NOT NULL,
    tlp                    TEXT NOT NULL,
    share_orgs             TEXT NOT NULL,
    share_users            TEXT NOT NULL,
    synthetic              INTEGER NOT NULL,
    created_at             INTEGER NOT NULL,
    created_by             TEXT NOT NULL
) STRICT;
CREATE INDEX pledges_donor ON pledges (donor);

CREATE TABLE pledge_transitions (
    id          INTEGER PRIMARY KEY,
    pledge_id   INTEGER NOT NULL REFERENCES pledges(id),
    from_status TEXT,
    to_status   TEXT NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL
) STRICT;

CREATE TABLE allocations (
    id               INTEGER PRIMARY KEY,
    pledge_id        INTEGER NOT NULL REFERENCES pledges(id),
    need_id          INTEGER NOT NULL REFERENCES needs(id),
    amount_eur_minor INTEGER NOT NULL CHECK (amount_eur_minor > 0),
    created_at       INTEGER NOT NULL,
    created_by       TEXT NOT NULL
) STRICT;
CREATE INDEX allocations_need ON allocations (need_id);
CREATE INDEX allocations_pledge ON allocations (pledge_id);

CREATE TABLE fx_rates (
    currency TEXT NOT NULL,
    day      TEXT NOT NULL,
    rate     TEXT NOT NULL,
    source   TEXT NOT NULL,
    PRIMARY KEY (currency, day)
) STRICT;

CREATE TABLE transactions (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    provider        TEXT NOT NULL REFERENCES participants(code),
    receiver        TEXT NOT NULL REFERENCES participants(code),
    value_date      TEXT NOT NULL,
    amount_minor    INTEGER NOT NULL CHECK (amount_minor > 0),
    currency        TEXT NOT NULL,
    eur_minor       INTEGER NOT NULL CHECK (eur_minor >= 0),
    rate            TEXT NOT NULL,
    rate_date       TEXT NOT NULL,
    rate_source     TEXT NOT NULL,
    pledge_id       INTEGER REFERENCES pledges(id),
    need_id         INTEGER REFERENCES needs(id),
    pass_through_of INTEGER REFERENCES transactions(id),
    description     TEXT NOT NULL,
    synthetic       INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX transactions_value_date ON transactions (value_date);
CREATE INDEX transactions_pass_through ON transactions (pass_through_of);

CREATE TABLE projects (
    id                   INTEGER PRIMARY KEY,
    need_id              INTEGER NOT NULL UNIQUE REFERENCES needs(id),
    implementer          TEXT NOT NULL REFERENCES participants(code),
    title                TEXT NOT NULL,
    status               TEXT NOT NULL,
    synthetic            INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    delivered_at         INTEGER,
    accepted_by          TEXT REFERENCES users(name),
    accepted_at          INTEGER,
    acceptance_statement TEXT,
    acceptance_seal      TEXT
) STRICT;

CREATE TABLE project_items (
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    position    INTEGER NOT NULL,
    description TEXT NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (project_id, position)
) STRICT;

CREATE TABLE milestones (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES projects(id),
    title        TEXT NOT NULL,
    due          TEXT,
    completed_at INTEGER
) STRICT;

CREATE TABLE agreements (
    id         INTEGER PRIMARY KEY,
    title      TEXT NOT NULL,
    parties    TEXT NOT NULL,
    domain     TEXT NOT NULL,
    signed_on  TEXT,
    status     TEXT NOT NULL,
    synthetic  INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE agreement_pledges (
    agreement_id INTEGER NOT NULL REFERENCES agreements(id),
    pledge_id    INTEGER NOT NULL REFERENCES pledges(id),
    PRIMARY KEY (agreement_id, pledge_id)
) STRICT;

CREATE TABLE announcements (
    id                    INTEGER PRIMARY KEY,
    day                   TEXT NOT NULL,
    end_day               TEXT,
    place                 TEXT NOT NULL,
    new_funding_eur_minor INTEGER NOT NULL,
    new_funding_year      INTEGER NOT NULL,
    cumulative_eur_minor  INTEGER NOT NULL,
    endorsers             TEXT NOT NULL,
    note                  TEXT NOT NULL,
    UNIQUE (day, place)
) STRICT;

-- The audit log: append-only, hash-chained. audit_head holds the chain's tip.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    details   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
) STRICT;

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
