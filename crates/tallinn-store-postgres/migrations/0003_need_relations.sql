-- A coordinator's verdict on a pair of needs found by deconfliction.
-- need_a < need_b; a later verdict on the same pair replaces the earlier one
-- (the audit log keeps both).
CREATE TABLE need_relations (
    need_a     BIGINT NOT NULL REFERENCES needs(id),
    need_b     BIGINT NOT NULL REFERENCES needs(id),
    relation   TEXT NOT NULL CHECK (relation IN ('duplicate', 'complementary')),
    note       TEXT NOT NULL,
    decided_at BIGINT NOT NULL,
    decided_by TEXT NOT NULL,
    PRIMARY KEY (need_a, need_b),
    CHECK (need_a < need_b)
);
CREATE INDEX need_relations_b ON need_relations (need_b);
