-- The outbox: one row per unit of outside work, leased by the worker running it.

-- name: insert
INSERT INTO jobs (kind, key, seller, partner, payload, state, attempts, next_attempt_at, created_at, updated_at)
VALUES (@kind, @key, @seller, @partner, @payload, 'pending', 0, @notBefore, @now, @now)
ON CONFLICT (key) DO NOTHING
RETURNING *;

-- name: byKey
SELECT * FROM jobs WHERE key = ?;

-- name: byId
SELECT * FROM jobs WHERE id = ?;

-- The claim is one statement: choose the ready rows and lease them. SQLite runs it inside the
-- caller's BEGIN IMMEDIATE (the write lock is held, no other connection can choose the same
-- rows). A PostgreSQL backend runs the same shape with the inner SELECT ending in
-- `FOR UPDATE SKIP LOCKED`, so that several gateway instances claim disjoint rows without waiting
-- for each other. @kinds is a JSON array of job kinds, or NULL for every kind.
-- name: claim
UPDATE jobs
SET lease_owner = @owner, lease_until = @leaseUntil, attempts = attempts + 1, updated_at = @now
WHERE id IN (
  SELECT id FROM jobs
  WHERE state = 'pending'
    AND next_attempt_at <= @now
    AND (lease_until IS NULL OR lease_until <= @now)
    AND (@kinds IS NULL OR kind IN (SELECT value FROM json_each(@kinds)))
  ORDER BY next_attempt_at, id
  LIMIT @limit
)
RETURNING *;

-- The worker's own verdicts: refused (no row changed) unless @owner holds the lease. A lease
-- that expired and was taken by another worker has that worker's name, so the first one's late
-- verdict changes nothing.
-- name: complete
UPDATE jobs
SET state = 'done', done_at = @now, updated_at = @now, lease_owner = NULL, lease_until = NULL
WHERE id = @id AND state = 'pending' AND lease_owner = @owner;

-- name: retry
UPDATE jobs
SET next_attempt_at = @nextAttemptAt, last_error = @error, updated_at = @now, lease_owner = NULL, lease_until = NULL
WHERE id = @id AND state = 'pending' AND lease_owner = @owner;

-- name: fail
UPDATE jobs
SET state = 'dead', last_error = @error, updated_at = @now, lease_owner = NULL, lease_until = NULL
WHERE id = @id AND state = 'pending' AND lease_owner = @owner;

-- Given back without counting the attempt (the claim counted it).
-- name: release
UPDATE jobs
SET attempts = max(attempts - 1, 0), updated_at = @now, lease_owner = NULL, lease_until = NULL
WHERE id = @id AND state = 'pending' AND lease_owner = @owner;

-- name: extendLease
UPDATE jobs SET lease_until = @leaseUntil
WHERE id = @id AND state = 'pending' AND lease_owner = @owner;

-- name: list
SELECT * FROM jobs
WHERE (@kind IS NULL OR kind = @kind)
  AND (@state IS NULL OR state = @state)
  AND (@seller IS NULL OR seller = @seller)
  AND (@partner IS NULL OR partner = @partner)
ORDER BY id
LIMIT @limit;

-- name: readyCount
SELECT count(*) AS n FROM jobs
WHERE state = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now);

-- A leased job becomes ready again when its lease runs out (its worker died).
-- name: nextReadyAt
SELECT min(CASE WHEN lease_until IS NOT NULL AND lease_until > next_attempt_at THEN lease_until ELSE next_attempt_at END) AS at
FROM jobs WHERE state = 'pending';

-- A fresh start after a fix: attempts count from zero again.
-- name: revive
UPDATE jobs
SET state = 'pending', attempts = 0, next_attempt_at = @now, updated_at = @now, lease_owner = NULL, lease_until = NULL
WHERE id = @id AND state = 'dead';

-- name: deleteDoneBefore
DELETE FROM jobs WHERE state = 'done' AND done_at < ?;

-- name: countDoneBefore
SELECT count(*) AS n FROM jobs WHERE state = 'done' AND done_at < ?;

-- name: leaseOwners
SELECT DISTINCT lease_owner AS owner FROM jobs WHERE state = 'pending' AND lease_owner IS NOT NULL AND lease_until > @now;

-- The attempt the dead owner made stays counted: it may have reached the outside.
-- name: releaseOwner
UPDATE jobs SET lease_owner = NULL, lease_until = NULL, updated_at = @now
WHERE state = 'pending' AND lease_owner = @owner;
