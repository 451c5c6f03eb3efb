-- PostgreSQL's own text for the outbox queries that differ from src/store/sqlite/sql/jobs.sql.

-- Several gateway instances claim at once under READ COMMITTED: the chosen rows are locked as
-- they are chosen, and rows another claimer holds are skipped rather than waited for, so two
-- claims get disjoint jobs. A row another claimer leased and committed since this statement's
-- snapshot is re-checked once locked (its new lease_until fails the WHERE) and left out.
-- MATERIALIZED: the choice is made once, never re-run per updated row.
-- name: claim
WITH chosen AS MATERIALIZED (
  SELECT id FROM jobs
  WHERE state = 'pending'
    AND next_attempt_at <= @now
    AND (lease_until IS NULL OR lease_until <= @now)
    AND (CAST(@kinds AS jsonb) IS NULL OR kind IN (SELECT jsonb_array_elements_text(CAST(@kinds AS jsonb))))
  ORDER BY next_attempt_at, id
  LIMIT @limit
  FOR UPDATE SKIP LOCKED
)
UPDATE jobs
SET lease_owner = @owner, lease_until = @leaseUntil, attempts = attempts + 1, updated_at = @now
FROM chosen
WHERE jobs.id = chosen.id
RETURNING jobs.*;

-- name: release
UPDATE jobs
SET attempts = GREATEST(attempts - 1, 0), updated_at = @now, lease_owner = NULL, lease_until = NULL
WHERE id = @id AND state = 'pending' AND lease_owner = @owner;

-- Typed: a parameter whose first use is `IS NULL` has no type PostgreSQL can infer.
-- name: list
SELECT * FROM jobs
WHERE (CAST(@kind AS text) IS NULL OR kind = @kind)
  AND (CAST(@state AS text) IS NULL OR state = @state)
  AND (CAST(@seller AS text) IS NULL OR seller = @seller)
  AND (CAST(@partner AS text) IS NULL OR partner = @partner)
ORDER BY id
LIMIT @limit;
