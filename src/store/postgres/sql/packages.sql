-- PostgreSQL's own text for the package queries that differ from src/store/sqlite/sql/packages.sql.

-- @states: a JSON array of states, or NULL. @limit -1: no limit (as SQLite reads it).
-- name: list
SELECT * FROM packages
WHERE (CAST(@seller AS text) IS NULL OR seller = @seller)
  AND (CAST(@states AS jsonb) IS NULL OR state IN (SELECT jsonb_array_elements_text(CAST(@states AS jsonb))))
ORDER BY id
LIMIT NULLIF(@limit, -1);
