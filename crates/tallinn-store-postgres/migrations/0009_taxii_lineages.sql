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
ALTER TABLE taxii_objects
    ADD COLUMN version_rest TEXT NOT NULL DEFAULT '',
    ADD COLUMN version_text TEXT,
    ADD COLUMN private_org  TEXT;
ALTER TABLE taxii_objects DROP CONSTRAINT taxii_objects_collection_object_id_version_key;
ALTER TABLE taxii_objects ADD CONSTRAINT taxii_objects_lineage_version UNIQUE (collection, object_id, creator_org, version, version_rest);
