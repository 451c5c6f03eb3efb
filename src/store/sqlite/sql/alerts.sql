-- Alerts: one firing row per (rule, key).

-- A cause seen again while it fires: the firing row is brought up to date in place.
-- name: seen
UPDATE alerts SET last_seen = @now, message = @message, details = @details, severity = @severity
WHERE rule = @rule AND key = @key AND state = 'firing'
RETURNING *;

-- Nothing inserted when another writer's firing row for (rule, key) won (alerts_firing is
-- unique over the firing rows): that row is then updated by `seen`.
-- name: insert
INSERT INTO alerts (rule, key, seller, partner, severity, message, details, state, fired_at, last_seen, cleared_at, cleared_because)
VALUES (@rule, @key, @seller, @partner, @severity, @message, @details, 'firing', @now, @now, NULL, NULL)
ON CONFLICT (rule, key) WHERE state = 'firing' DO NOTHING
RETURNING *;

-- name: clear
UPDATE alerts SET state = 'cleared', cleared_at = @now, cleared_because = @because WHERE id = @id AND state = 'firing';

-- name: byId
SELECT * FROM alerts WHERE id = ?;

-- name: firing
SELECT * FROM alerts WHERE state = 'firing' AND (@rule IS NULL OR rule = @rule) ORDER BY fired_at, id;

-- name: list
SELECT * FROM alerts WHERE (@state IS NULL OR state = @state) AND (@rule IS NULL OR rule = @rule)
ORDER BY id DESC LIMIT @limit;
