-- PostgreSQL's own text for the exception queries that differ from src/store/sqlite/sql/exceptions.sql.

-- raise reads the cause's open row, then bumps it from what it read (count, refs, context):
-- the row stays locked until the transaction ends, so an instance raising the same cause at
-- once waits, then reads the bumped row (or, once resolved meanwhile, none: it opens a new one).
-- A cause two instances open at once: the second insert waits on exceptions_open_cause, finds
-- the first's row and inserts nothing (ON CONFLICT of that index); raise then bumps that row.
-- name: lockOpen
SELECT * FROM exceptions
WHERE kind = @kind AND coalesce(seller, '') = coalesce(@seller, '') AND coalesce(partner, '') = coalesce(@partner, '') AND key = @key
  AND state <> 'resolved'
FOR UPDATE;

-- dropRef writes back the refs and context it read.
-- name: lockById
SELECT * FROM exceptions WHERE id = ? FOR UPDATE;

-- @states: a JSON array of states, or NULL for all.
-- name: list
SELECT * FROM exceptions
WHERE (CAST(@states AS jsonb) IS NULL OR state IN (SELECT jsonb_array_elements_text(CAST(@states AS jsonb))))
  AND (CAST(@kind AS text) IS NULL OR kind = @kind)
  AND (CAST(@seller AS text) IS NULL OR seller = @seller)
  AND (CAST(@partner AS text) IS NULL OR partner = @partner)
ORDER BY id
LIMIT @limit;
