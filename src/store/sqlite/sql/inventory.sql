-- Inventory (migration 0006). Named queries for src/store/repos/inventory.ts.

-- name: quantity
SELECT * FROM inventory_quantities WHERE seller = ? AND sku = ?;

-- name: quantities
SELECT * FROM inventory_quantities WHERE seller = ? ORDER BY sku;

-- name: setPending
INSERT INTO inventory_quantities (seller, sku, pending, pending_since)
VALUES (@seller, @sku, @quantity, @now)
ON CONFLICT (seller, sku) DO UPDATE SET pending = excluded.pending, pending_since = excluded.pending_since;

-- A quantity Amazon accepted: the pending one is done when it is this quantity (a newer pending
-- quantity, set while this one was on its way, stays pending). The row's own columns are named
-- with the table: PostgreSQL finds a bare `pending` ambiguous beside excluded's.
-- name: accepted
INSERT INTO inventory_quantities (seller, sku, accepted, accepted_at)
VALUES (@seller, @sku, @quantity, @now)
ON CONFLICT (seller, sku) DO UPDATE SET
  accepted = excluded.accepted,
  accepted_at = excluded.accepted_at,
  pending_since = CASE WHEN inventory_quantities.pending = excluded.accepted THEN NULL ELSE inventory_quantities.pending_since END,
  pending = CASE WHEN inventory_quantities.pending = excluded.accepted THEN NULL ELSE inventory_quantities.pending END;

-- name: clearPending
UPDATE inventory_quantities SET pending = NULL, pending_since = NULL WHERE seller = ? AND sku = ?;

-- name: channel
SELECT * FROM inventory_channels WHERE seller = ? AND sku = ?;

-- name: setChannel
INSERT INTO inventory_channels (seller, sku, channel, checked_at)
VALUES (@seller, @sku, @channel, @checkedAt)
ON CONFLICT (seller, sku) DO UPDATE SET channel = excluded.channel, checked_at = excluded.checked_at;

-- name: lastSnapshot
SELECT as_of, applied_at, file_message_id FROM inventory_snapshots WHERE partner = ? AND seller = ?;

-- name: setLastSnapshot
INSERT INTO inventory_snapshots (partner, seller, as_of, applied_at, file_message_id)
VALUES (@partner, @seller, @asOf, @appliedAt, @fileMessageId)
ON CONFLICT (partner, seller) DO UPDATE SET
  as_of = excluded.as_of, applied_at = excluded.applied_at, file_message_id = excluded.file_message_id;

-- name: stock
SELECT warehouse_item, state, quantity FROM inventory_stock WHERE partner = ? AND seller = ? ORDER BY warehouse_item, state;

-- name: clearStock
DELETE FROM inventory_stock WHERE partner = ? AND seller = ?;

-- name: insertStock
INSERT INTO inventory_stock (partner, seller, warehouse_item, state, quantity)
VALUES (@partner, @seller, @warehouseItem, @state, @quantity)
ON CONFLICT (partner, seller, warehouse_item, state) DO UPDATE SET quantity = excluded.quantity;
