-- Expected arrivals and receipt postings (migration 0008). Named queries for src/store/repos/removals.ts.

-- The arrival an upsert refreshes (locked on PostgreSQL until the transaction ends).
-- name: findExpected
SELECT * FROM expected_arrivals
WHERE seller = @seller AND source = @source AND reference = @reference AND seller_sku = @sellerSku
  AND COALESCE(tracking_number, '') = COALESCE(@trackingNumber, '') AND COALESCE(lpn, '') = COALESCE(@lpn, '');

-- No row back when the arrival exists already (another writer inserted it first): the caller refreshes that one.
-- name: insertExpected
INSERT INTO expected_arrivals (seller, source, reference, seller_sku, fnsku, lpn, carrier, tracking_number, disposition,
  expected, received, shipped_at, state, created_at, updated_at)
VALUES (@seller, @source, @reference, @sellerSku, @fnsku, @lpn, @carrier, @trackingNumber, @disposition,
  @expected, 0, @shippedAt, 'expected', @now, @now)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: refreshExpected
UPDATE expected_arrivals SET fnsku = @fnsku, carrier = @carrier, disposition = @disposition, expected = @expected,
  shipped_at = @shippedAt, state = @state, updated_at = @now
WHERE id = @id
RETURNING *;

-- name: getExpected
SELECT * FROM expected_arrivals WHERE id = ?;

-- The arrival units are added to (locked on PostgreSQL until the transaction ends).
-- name: lockExpected
SELECT * FROM expected_arrivals WHERE id = ?;

-- name: listExpected
SELECT * FROM expected_arrivals
WHERE (@seller IS NULL OR seller = @seller)
  AND (@states IS NULL OR state IN (SELECT value FROM json_each(@states)))
  AND (@sellerSku IS NULL OR seller_sku = @sellerSku)
  AND (@reference IS NULL OR reference = @reference)
  AND (@lpn IS NULL OR lpn = @lpn)
  AND (@trackingNumber IS NULL OR tracking_number = @trackingNumber)
ORDER BY id
LIMIT @limit;

-- name: setReceived
UPDATE expected_arrivals SET received = @received, state = @state, updated_at = @now WHERE id = @id RETURNING *;

-- name: findPosting
SELECT * FROM receipt_postings WHERE partner = @partner AND file_message_id = @fileMessageId AND receipt_id = @receiptId AND line = @line;

-- No row back when the receipt line was posted already: the caller reads that posting.
-- name: insertPosting
INSERT INTO receipt_postings (seller, partner, file_message_id, receipt_id, line, arrival_id, seller_sku, warehouse_item,
  quantity, condition, disposition, matched_by, state, exception_id, at)
VALUES (@seller, @partner, @fileMessageId, @receiptId, @line, @arrivalId, @sellerSku, @warehouseItem,
  @quantity, @condition, @disposition, @matchedBy, @state, @exceptionId, @at)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: getPosting
SELECT * FROM receipt_postings WHERE id = ?;

-- name: postings
SELECT * FROM receipt_postings
WHERE (@seller IS NULL OR seller = @seller)
  AND (@fileMessageId IS NULL OR file_message_id = @fileMessageId)
  AND (@arrivalId IS NULL OR arrival_id = @arrivalId)
  AND (@state IS NULL OR state = @state)
ORDER BY id
LIMIT @limit;

-- name: matchPosting
UPDATE receipt_postings SET arrival_id = @arrivalId, matched_by = @matchedBy, state = 'posted', at = @now WHERE id = @id;
