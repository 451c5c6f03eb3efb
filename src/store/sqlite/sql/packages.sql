-- Packages (migration 0005). Named queries for src/store/repos/packages.ts.

-- name: insert
INSERT INTO packages (seller, order_id, marketplace_id, partner, file_message_id, warehouse_package_id, tracking_number,
  carrier_code, carrier_name, shipping_method, items, shipped_at, state, created_at, updated_at)
VALUES (@seller, @orderId, @marketplaceId, @partner, @fileMessageId, @warehousePackageId, @trackingNumber,
  @carrierCode, @carrierName, @shippingMethod, @items, @shippedAt, @state, @now, @now)
ON CONFLICT (seller, order_id, tracking_number) DO NOTHING;

-- name: byKey
SELECT * FROM packages WHERE seller = ? AND order_id = ? AND tracking_number = ?;

-- name: byId
SELECT * FROM packages WHERE id = ?;

-- name: forOrder
SELECT * FROM packages WHERE seller = ? AND order_id = ? ORDER BY id;

-- name: setState
UPDATE packages SET state = @state, updated_at = @now WHERE id = @id;

-- name: setConfirmed
UPDATE packages
SET state = @state, updated_at = @now, confirmed_at = @confirmedAt,
    lag_seconds = @lagSeconds
WHERE id = @id;

-- name: list
SELECT * FROM packages
WHERE (@seller IS NULL OR seller = @seller)
  AND (@states IS NULL OR state IN (SELECT value FROM json_each(@states)))
ORDER BY id
LIMIT @limit;
