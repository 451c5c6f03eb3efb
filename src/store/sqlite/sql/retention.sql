-- Retention over the business records (the message log's own rules are in sqlite-store.ts).

-- The orders table comes with migration 0004; a store without it has no order documents.
-- name: ordersTableExists
SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'orders';

-- Orders final since before the cutoff whose canonical document (with the buyer's address) is
-- still kept, oldest first.
-- name: expiredOrderDocuments
SELECT seller, order_id, document_sha256 FROM orders
WHERE state IN ('confirmed', 'cancelled', 'cancel-sent') AND updated_at < @cutoff AND document_sha256 IS NOT NULL AND document_sha256 <> ''
ORDER BY updated_at, seller, order_id;

-- An order still open (or final only recently) refers to these bytes: they stay.
-- name: documentKeptByOrder
SELECT 1 FROM orders
WHERE document_sha256 = @sha AND NOT (state IN ('confirmed', 'cancelled', 'cancel-sent') AND updated_at < @cutoff)
LIMIT 1;
