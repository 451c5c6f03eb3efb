-- The status axes of outbound messages (validation, delivery, acknowledgement) and the queries
-- the flows run over them.

-- name: axesOf
SELECT id, status, validation, delivery, delivered_at, remote_dir, ack_state, acked_at, ack_due_at FROM messages WHERE id = ?;

-- axesOf before an axis change: locked on PostgreSQL until the transaction ends, so that the
-- event written names the state the change left.
-- name: lockAxes
SELECT id, status, validation, delivery, delivered_at, remote_dir, ack_state, acked_at, ack_due_at FROM messages WHERE id = ?;

-- The messages under one (a file's interchanges, an interchange's groups, a group's sets), in the order recorded.
-- name: children
SELECT * FROM messages WHERE parent_id = ? ORDER BY id;

-- name: setValidation
UPDATE messages SET validation = @state, updated_at = @now WHERE id = @id;

-- delivered_at: the first time it became delivered is kept through picked-up / not-picked-up.
-- name: setDelivery
UPDATE messages
SET delivery = @state,
    delivered_at = CASE WHEN @state = 'delivered' THEN @now ELSE delivered_at END,
    remote_dir = coalesce(@remoteDir, remote_dir),
    updated_at = @now
WHERE id = @id;

-- acked_at: when a verdict arrived (accepted, with errors, partially, rejected); awaiting clears
-- it (a resend waits again), overdue keeps it empty.
-- name: setAcknowledgement
UPDATE messages
SET ack_state = @state,
    acked_at = CASE WHEN @verdict = 1 THEN @now WHEN @state = 'awaiting' THEN NULL ELSE acked_at END,
    ack_due_at = CASE WHEN @state = 'awaiting' THEN coalesce(@dueAt, ack_due_at) ELSE ack_due_at END,
    updated_at = @now
WHERE id = @id;

-- name: axisEvent
INSERT INTO message_events (message_id, at, from_status, to_status, reason) VALUES (@id, @now, @from, @to, @reason);

-- name: ackOverdue
SELECT id, partner, kind, control, ack_due_at FROM messages
WHERE ack_state = 'awaiting' AND ack_due_at < @now AND direction = 'out'
ORDER BY ack_due_at, id
LIMIT @limit;

-- name: deliveredUnconfirmed
SELECT id, file_name, delivered_at, remote_dir FROM messages
WHERE delivery = 'delivered' AND partner = @partner AND kind = 'file' AND direction = 'out'
ORDER BY delivered_at, id
LIMIT @limit;

-- name: unprocessedReceived
SELECT id, file_name, blob_sha256 FROM messages
WHERE partner = @partner AND kind = 'file' AND direction = 'in' AND status IN ('received', 'received-name-reused')
ORDER BY id
LIMIT @limit;
