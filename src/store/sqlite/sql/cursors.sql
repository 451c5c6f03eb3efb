-- Named watermarks (an order search's lastUpdatedAfter per seller and marketplace, ...).

-- name: get
SELECT value FROM cursors WHERE name = ?;

-- name: set
INSERT INTO cursors (name, value, updated_at) VALUES (@name, @value, @now)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;

-- name: list
SELECT name, value, updated_at FROM cursors WHERE substr(name, 1, length(@prefix)) = @prefix ORDER BY name;
