-- PostgreSQL's own text for the arrival and posting queries that differ from src/store/sqlite/sql/removals.sql.

-- upsertExpected refreshes the arrival from what it read (its received count decides the state):
-- locked until the transaction ends, so a receipt posted at once by another instance waits.
-- name: findExpected
SELECT * FROM expected_arrivals
WHERE seller = @seller AND source = @source AND reference = @reference AND seller_sku = @sellerSku
  AND COALESCE(tracking_number, '') = COALESCE(@trackingNumber, '') AND COALESCE(lpn, '') = COALESCE(@lpn, '')
FOR UPDATE;

-- receive adds to the received count it read: two instances receiving at once add both.
-- name: lockExpected
SELECT * FROM expected_arrivals WHERE id = ? FOR UPDATE;

-- @states: a JSON array of states, or NULL for all.
-- name: listExpected
SELECT * FROM expected_arrivals
WHERE (CAST(@seller AS text) IS NULL OR seller = @seller)
  AND (CAST(@states AS jsonb) IS NULL OR state IN (SELECT jsonb_array_elements_text(CAST(@states AS jsonb))))
  AND (CAST(@sellerSku AS text) IS NULL OR seller_sku = @sellerSku)
  AND (CAST(@reference AS text) IS NULL OR reference = @reference)
  AND (CAST(@lpn AS text) IS NULL OR lpn = @lpn)
  AND (CAST(@trackingNumber AS text) IS NULL OR tracking_number = @trackingNumber)
ORDER BY id
LIMIT @limit;

-- name: postings
SELECT * FROM receipt_postings
WHERE (CAST(@seller AS text) IS NULL OR seller = @seller)
  AND (CAST(@fileMessageId AS bigint) IS NULL OR file_message_id = @fileMessageId)
  AND (CAST(@arrivalId AS bigint) IS NULL OR arrival_id = @arrivalId)
  AND (CAST(@state AS text) IS NULL OR state = @state)
ORDER BY id
LIMIT @limit;
