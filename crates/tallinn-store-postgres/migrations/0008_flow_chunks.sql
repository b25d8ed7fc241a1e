-- The report flows in compact form: every transaction as one line of text
-- (see `ledger/flow_chunks.rs` for the format), 256 transactions per row,
-- keyed by `id / 256`. Reports read a million flows; through the database
-- driver a million rows of ten columns cost seconds, a few thousand rows of
-- text a few tens of milliseconds. Transactions are never updated or
-- deleted, and every insert appends its lines in the same database
-- transaction, so this table always says exactly what `transactions` says.
CREATE TABLE flow_chunks (
    chunk BIGINT PRIMARY KEY,
    flows BIGINT NOT NULL CHECK (flows > 0),
    data  TEXT NOT NULL
);

INSERT INTO flow_chunks (chunk, flows, data)
SELECT id / 256, COUNT(*), string_agg(
    CAST(id AS TEXT) || ',' || kind || ',' || provider || ',' || receiver || ',' || value_date || ',' || CAST(eur_minor AS TEXT) || ','
    || COALESCE(CAST(pledge_id AS TEXT), '') || ',' || COALESCE(CAST(need_id AS TEXT), '') || ','
    || CASE WHEN pass_through_of IS NULL THEN '0' ELSE '1' END || ',' || CASE WHEN synthetic THEN '1' ELSE '0' END || ';', '' ORDER BY id)
FROM transactions
GROUP BY id / 256;
