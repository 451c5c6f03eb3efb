-- PostgreSQL's own text for the health sample queries that differ from
-- src/store/sqlite/sql/health-samples.sql: parameters first used in `IS NULL` are cast.

-- name: list
SELECT at, metric, scope, value FROM health_samples
WHERE at >= @since AND (CAST(@until AS text) IS NULL OR at < @until)
  AND (CAST(@metric AS text) IS NULL OR metric = @metric) AND (CAST(@scope AS text) IS NULL OR scope = @scope)
ORDER BY at, metric, scope
LIMIT @limit;
