-- The report lines name the flow a pass-through passes on ('p' and its id,
-- instead of a bare '1'), so that a reader who may not see that flow counts
-- this one as where its money starts (docs/adr/0005-visibility.md). Every
-- chunk is written again from `transactions`, as migration 0008 did.
DELETE FROM flow_chunks;

INSERT INTO flow_chunks (chunk, flows, data)
SELECT id / 256, COUNT(*), string_agg(
    CAST(id AS TEXT) || ',' || kind || ',' || provider || ',' || receiver || ',' || value_date || ',' || CAST(eur_minor AS TEXT) || ','
    || COALESCE(CAST(pledge_id AS TEXT), '') || ',' || COALESCE(CAST(need_id AS TEXT), '') || ','
    || CASE WHEN pass_through_of IS NULL THEN '0' ELSE 'p' || CAST(pass_through_of AS TEXT) END || ',' || CASE WHEN synthetic THEN '1' ELSE '0' END || ';', '' ORDER BY id)
FROM transactions
GROUP BY id / 256;
