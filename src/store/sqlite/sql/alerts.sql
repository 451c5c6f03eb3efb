-- Alerts: one firing row per (rule, key).

-- name: firingFor
SELECT * FROM alerts WHERE rule = @rule AND key = @key AND state = 'firing';

-- name: insert
INSERT INTO alerts (rule, key, seller, partner, severity, message, details, state, fired_at, last_seen, cleared_at, cleared_because)
VALUES (@rule, @key, @seller, @partner, @severity, @message, @details, 'firing', @now, @now, NULL, NULL)
RETURNING *;

-- name: seen
UPDATE alerts SET last_seen = @now, message = @message, details = @details, severity = @severity WHERE id = @id RETURNING *;

-- name: clear
UPDATE alerts SET state = 'cleared', cleared_at = @now, cleared_because = @because WHERE id = @id AND state = 'firing';

-- name: byId
SELECT * FROM alerts WHERE id = ?;

-- name: firing
SELECT * FROM alerts WHERE state = 'firing' AND (@rule IS NULL OR rule = @rule) ORDER BY fired_at, id;

-- name: list
SELECT * FROM alerts WHERE (@state IS NULL OR state = @state) AND (@rule IS NULL OR rule = @rule)
ORDER BY id DESC LIMIT @limit;
