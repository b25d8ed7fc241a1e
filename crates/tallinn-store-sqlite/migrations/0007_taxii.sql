-- TAXII 2.1 collections. `read_orgs`/`write_orgs`: NULL = every analyst,
-- else a JSON list of participant codes. `last_added` is the newest
-- `date_added` in the collection: each write takes it under the collection's
-- lock, so `date_added` grows in commit order and is unique per collection
-- (the pagination cursor relies on both).
CREATE TABLE taxii_collections (
    id          TEXT PRIMARY KEY,
    alias       TEXT UNIQUE,
    title       TEXT NOT NULL,
    description TEXT,
    read_orgs   TEXT,
    write_orgs  TEXT,
    created_at  INTEGER NOT NULL,
    last_added  INTEGER NOT NULL
) STRICT;

-- Every version of every object, the JSON exactly as received, plus the
-- columns that filters, pages and the TLP policy read. `version` is the
-- object's `modified`, else `created`, else `date_added` (microseconds);
-- `is_first`/`is_latest` mark the oldest and newest version of each id.
-- `share_orgs`/`share_users` are ','-delimited (',EE,FI,') for LIKE tests.
CREATE TABLE taxii_objects (
    seq          INTEGER PRIMARY KEY,
    collection   TEXT NOT NULL REFERENCES taxii_collections(id),
    object_id    TEXT NOT NULL,
    type         TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    version      INTEGER NOT NULL,
    created      INTEGER,
    modified     INTEGER,
    date_added   INTEGER NOT NULL,
    tlp          TEXT NOT NULL,
    creator_org  TEXT NOT NULL,
    creator_user TEXT NOT NULL,
    share_orgs   TEXT NOT NULL,
    share_users  TEXT NOT NULL,
    is_first     INTEGER NOT NULL,
    is_latest    INTEGER NOT NULL,
    body         TEXT NOT NULL,
    UNIQUE (collection, object_id, version)
) STRICT;
CREATE UNIQUE INDEX taxii_objects_added ON taxii_objects (collection, date_added);
CREATE INDEX taxii_objects_type ON taxii_objects (collection, type, date_added);

-- The outcome of each POST of objects (TAXII status resource).
CREATE TABLE taxii_status (
    id                TEXT PRIMARY KEY,
    collection        TEXT NOT NULL REFERENCES taxii_collections(id),
    owner             TEXT NOT NULL,
    request_timestamp INTEGER NOT NULL,
    total_count       INTEGER NOT NULL,
    success_count     INTEGER NOT NULL,
    failure_count     INTEGER NOT NULL,
    successes         TEXT NOT NULL,
    failures          TEXT NOT NULL
) STRICT;
