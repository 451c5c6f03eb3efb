-- Samples of the health metrics (src/metrics/health.ts), oldest first.

-- name: insert
INSERT INTO health_samples (at, metric, scope, value) VALUES (@at, @metric, @scope, @value);

-- name: list
SELECT at, metric, scope, value FROM health_samples
WHERE at >= @since AND (@until IS NULL OR at < @until)
  AND (@metric IS NULL OR metric = @metric) AND (@scope IS NULL OR scope = @scope)
ORDER BY at, metric, scope
LIMIT @limit;

-- name: purgeBefore
DELETE FROM health_samples WHERE at < ?;
