-- Leases on named scheduled jobs: one runner at a time.

-- Taken when free, when its lease ran out (its holder died), or already ours (extended).
-- name: acquire
INSERT INTO locks (name, owner, lease_until) VALUES (@name, @owner, @leaseUntil)
ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
WHERE locks.lease_until <= @now OR locks.owner = excluded.owner;

-- name: release
DELETE FROM locks WHERE name = @name AND owner = @owner;

-- Holders whose lease still runs (a dead one is recognised by the caller).
-- name: owners
SELECT DISTINCT owner FROM locks WHERE lease_until > @now;

-- name: releaseOwner
DELETE FROM locks WHERE owner = @owner;
