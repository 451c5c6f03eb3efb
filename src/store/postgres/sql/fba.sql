-- PostgreSQL's own text for the FBA shipment queries that differ from src/store/sqlite/sql/fba.sql.

-- The flows read a shipment, decide and write it back in one transaction (a warehouse's shipped
-- file beside the status task of another instance marking it cancelled): the row stays locked
-- until that transaction ends, so the second waits and decides on what the first wrote.
-- name: get
SELECT * FROM fba_shipments WHERE seller = ? AND shipment_id = ? FOR UPDATE;

-- @states: a JSON array of states, or NULL for all.
-- name: list
SELECT * FROM fba_shipments
WHERE (CAST(@seller AS text) IS NULL OR seller = @seller)
  AND (CAST(@partner AS text) IS NULL OR partner = @partner)
  AND (CAST(@states AS jsonb) IS NULL OR state IN (SELECT jsonb_array_elements_text(CAST(@states AS jsonb))))
ORDER BY updated_at DESC, seller, shipment_id
LIMIT @limit;
