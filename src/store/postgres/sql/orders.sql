-- PostgreSQL's own text for the order queries that differ from src/store/sqlite/sql/orders.sql.

-- The flows read an order, decide, and write it back in one transaction (orders-to-warehouse
-- sendBatch checks the order did not move since it was read): the row stays locked until that
-- transaction ends, so another instance deciding on the same order waits and then sees the move.
-- name: get
SELECT * FROM orders WHERE seller = ? AND order_id = ? FOR UPDATE;

-- @states: a JSON array of states, or NULL. @limit -1: no limit (as SQLite reads it).
-- name: list
SELECT * FROM orders
WHERE (CAST(@seller AS text) IS NULL OR seller = @seller)
  AND (CAST(@partner AS text) IS NULL OR partner = @partner)
  AND (CAST(@states AS jsonb) IS NULL OR state IN (SELECT jsonb_array_elements_text(CAST(@states AS jsonb))))
ORDER BY created_at, seller, order_id
LIMIT NULLIF(@limit, -1);

-- name: dueBefore
SELECT * FROM orders
WHERE ship_by IS NOT NULL AND ship_by < @before
  AND state NOT IN ('shipped', 'confirmed', 'cancelled', 'cancel-sent')
ORDER BY ship_by, seller, order_id
LIMIT NULLIF(@limit, -1);

-- In file order: by set (set messages are numbered as the file's sets are recorded); the
-- revisions of a file without sets (CSV) were inserted in file order in one transaction and are
-- never updated, so their heap position (ctid) follows that order. PostgreSQL has no rowid.
-- name: byFileMessage
SELECT o.* FROM order_revisions r JOIN orders o ON o.seller = r.seller AND o.order_id = r.order_id
WHERE r.file_message_id = ?
ORDER BY r.set_message_id, r.ctid;
