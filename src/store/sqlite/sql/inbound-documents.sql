-- The documents found in each received file, and what became of each.

-- A file processed again (reprocess after a fix) records its documents again in place.
-- name: add
INSERT INTO inbound_documents (file_message_id, idx, where_text, document, seller, key, state, reason, at)
VALUES (@fileMessageId, @index, @where, @document, @seller, @key, @state, @reason, @at)
ON CONFLICT (file_message_id, idx) DO UPDATE SET
  where_text = excluded.where_text, document = excluded.document, seller = excluded.seller, key = excluded.key,
  state = excluded.state, reason = excluded.reason, at = excluded.at;

-- name: forFile
SELECT * FROM inbound_documents WHERE file_message_id = ? ORDER BY idx;

-- name: setState
UPDATE inbound_documents SET state = @state, reason = @reason, at = @at WHERE file_message_id = @fileMessageId AND idx = @index;
