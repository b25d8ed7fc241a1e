-- Object versions kept exactly and apart per producing organisation
-- (docs/adr/0011-threat-exchange-input.md):
-- * `version` stays the whole microseconds of `modified` (else `created`,
--   else `date_added`); `version_rest` holds the fractional digits beyond
--   the sixth, trailing zeros dropped ('' for nearly every object), so two
--   versions that differ in the 7th digit are two versions; `version_text`
--   is the timestamp exactly as the object gave it (NULL: a date added, or
--   a row stored before this migration).
-- * Each organisation's versions of an id are a lineage of their own:
--   uniqueness, `is_first` and `is_latest` are per (id, creator_org).
-- * `private_org`: a copy of an id another organisation shared first is
--   kept for its uploader's organisation only; NULL for everyone else.
-- SQLite cannot change a table's constraints in place: the table is
-- rebuilt, every row copied.
CREATE TABLE taxii_objects_v2 (
    seq          INTEGER PRIMARY KEY,
    collection   TEXT NOT NULL REFERENCES taxii_collections(id),
    object_id    TEXT NOT NULL,
    type         TEXT NOT NULL,
    spec_version TEXT NOT NULL,
    version      INTEGER NOT NULL,
    version_rest TEXT NOT NULL DEFAULT '',
    version_text TEXT,
    created      INTEGER,
    modified     INTEGER,
    date_added   INTEGER NOT NULL,
    tlp          TEXT NOT NULL,
    creator_org  TEXT NOT NULL,
    creator_user TEXT NOT NULL,
    share_orgs   TEXT NOT NULL,
    share_users  TEXT NOT NULL,
    private_org  TEXT,
    is_first     INTEGER NOT NULL,
    is_latest    INTEGER NOT NULL,
    body         TEXT NOT NULL,
    UNIQUE (collection, object_id, creator_org, version, version_rest)
) STRICT;

INSERT INTO taxii_objects_v2 (seq, collection, object_id, type, spec_version, version, created, modified, date_added, tlp,
                              creator_org, creator_user, share_orgs, share_users, is_first, is_latest, body)
SELECT seq, collection, object_id, type, spec_version, version, created, modified, date_added, tlp,
       creator_org, creator_user, share_orgs, share_users, is_first, is_latest, body
FROM taxii_objects;

DROP TABLE taxii_objects;
ALTER TABLE taxii_objects_v2 RENAME TO taxii_objects;
CREATE UNIQUE INDEX taxii_objects_added ON taxii_objects (collection, date_added);
CREATE INDEX taxii_objects_type ON taxii_objects (collection, type, date_added);
