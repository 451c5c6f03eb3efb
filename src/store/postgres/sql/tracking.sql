-- PostgreSQL's own text for the message-axis queries that differ from src/store/sqlite/sql/tracking.sql.

-- An axis change reads the state it leaves for its event: the row stays locked until the
-- transaction ends, so two instances moving one axis at once write events that chain.
-- name: lockAxes
SELECT id, status, validation, delivery, delivered_at, remote_dir, ack_state, acked_at, ack_due_at FROM messages WHERE id = ? FOR UPDATE;
