-- Orders (migration 0004). Named queries for src/store/repos/orders.ts.

-- name: get
SELECT * FROM orders WHERE seller = ? AND order_id = ?;

-- name: put
INSERT INTO orders (seller, order_id, marketplace_id, partner, state, amazon_updated_at, amazon_status, ship_by,
  document_sha256, address_hash, lines, revision, held_by, created_at, updated_at)
VALUES (@seller, @orderId, @marketplaceId, @partner, @state, @amazonUpdatedAt, @amazonStatus, @shipBy,
  @documentSha256, @addressHash, @lines, @revision, @heldBy, @createdAt, @updatedAt)
ON CONFLICT (seller, order_id) DO UPDATE SET
  marketplace_id = excluded.marketplace_id, partner = excluded.partner, state = excluded.state,
  amazon_updated_at = excluded.amazon_updated_at, amazon_status = excluded.amazon_status, ship_by = excluded.ship_by,
  document_sha256 = excluded.document_sha256, address_hash = excluded.address_hash, lines = excluded.lines,
  revision = excluded.revision, held_by = excluded.held_by, updated_at = excluded.updated_at;

-- name: list
SELECT * FROM orders
WHERE (@seller IS NULL OR seller = @seller)
  AND (@partner IS NULL OR partner = @partner)
  AND (@states IS NULL OR state IN (SELECT value FROM json_each(@states)))
ORDER BY created_at, seller, order_id
LIMIT @limit;

-- name: dueBefore
SELECT * FROM orders
WHERE ship_by IS NOT NULL AND ship_by < @before
  AND state NOT IN ('shipped', 'confirmed', 'cancelled', 'cancel-sent')
ORDER BY ship_by, seller, order_id
LIMIT @limit;

-- name: addRevision
INSERT INTO order_revisions (seller, order_id, revision, purpose, file_message_id, set_message_id, created_at)
VALUES (@seller, @orderId, @revision, @purpose, @fileMessageId, @setMessageId, @createdAt);

-- name: revisions
SELECT * FROM order_revisions WHERE seller = ? AND order_id = ? ORDER BY revision;

-- name: bySetMessage
SELECT DISTINCT o.* FROM order_revisions r JOIN orders o ON o.seller = r.seller AND o.order_id = r.order_id
WHERE r.set_message_id = ?
ORDER BY o.seller, o.order_id;

-- name: byFileMessage
-- In file order: the revisions of one file were added set by set.
SELECT o.* FROM order_revisions r JOIN orders o ON o.seller = r.seller AND o.order_id = r.order_id
WHERE r.file_message_id = ?
ORDER BY r.rowid;
