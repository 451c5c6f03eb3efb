-- PostgreSQL's own text for the alert queries that differ from src/store/sqlite/sql/alerts.sql:
-- a parameter whose first use is `IS NULL` has no type PostgreSQL can infer, so it is cast.

-- name: firing
SELECT * FROM alerts WHERE state = 'firing' AND (CAST(@rule AS text) IS NULL OR rule = @rule) ORDER BY fired_at, id;

-- name: list
SELECT * FROM alerts WHERE (CAST(@state AS text) IS NULL OR state = @state) AND (CAST(@rule AS text) IS NULL OR rule = @rule)
ORDER BY id DESC LIMIT @limit;
