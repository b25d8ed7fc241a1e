-- Allocation proposals: the engine's result over the ledger, saved for a
-- coordinator to review and apply (or discard).
CREATE TABLE allocation_proposals (
    id          INTEGER PRIMARY KEY,
    status      TEXT NOT NULL CHECK (status IN ('proposed', 'applied', 'discarded')),
    objective   TEXT NOT NULL,
    upper_bound TEXT NOT NULL,
    gap         TEXT NOT NULL,
    result      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    decided_at  INTEGER,
    decided_by  TEXT
) STRICT;

CREATE TABLE allocation_proposal_lines (
    proposal_id      INTEGER NOT NULL REFERENCES allocation_proposals(id),
    position         INTEGER NOT NULL,
    pledge_id        INTEGER NOT NULL REFERENCES pledges(id),
    need_id          INTEGER NOT NULL REFERENCES needs(id),
    amount_eur_minor INTEGER NOT NULL CHECK (amount_eur_minor > 0),
    PRIMARY KEY (proposal_id, position)
) STRICT;
