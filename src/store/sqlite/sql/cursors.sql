-- Named watermarks (an order search's lastUpdatedAfter per seller and marketplace, ...).

-- name: get
SELECT value FROM cursors WHERE name = ?;

-- name: set
INSERT INTO cursors (name, value, updated_at) VALUES (@name, @value, @now)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
