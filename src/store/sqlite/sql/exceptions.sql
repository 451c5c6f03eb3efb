-- The exception queue: one unresolved row per cause (kind, seller, partner, key).

-- name: findOpen
SELECT * FROM exceptions
WHERE kind = @kind AND coalesce(seller, '') = coalesce(@seller, '') AND coalesce(partner, '') = coalesce(@partner, '') AND key = @key
  AND state <> 'resolved';

-- findOpen for a write of what was read (raise bumps it): locked on PostgreSQL until the transaction ends.
-- name: lockOpen
SELECT * FROM exceptions
WHERE kind = @kind AND coalesce(seller, '') = coalesce(@seller, '') AND coalesce(partner, '') = coalesce(@partner, '') AND key = @key
  AND state <> 'resolved';

-- name: byId
SELECT * FROM exceptions WHERE id = ?;

-- byId for a write of what was read (dropRef): locked on PostgreSQL until the transaction ends.
-- name: lockById
SELECT * FROM exceptions WHERE id = ?;

-- No row back when the cause is open already (another writer opened it since the read): the caller bumps that row.
-- name: insert
INSERT INTO exceptions (kind, severity, seller, partner, key, message, context, refs, owner, state, note, first_seen, last_seen, count, resolved_at)
VALUES (@kind, @severity, @seller, @partner, @key, @message, @context, @refs, NULL, 'open', NULL, @now, @now, 1, NULL)
ON CONFLICT (kind, coalesce(seller, ''), coalesce(partner, ''), key) WHERE state <> 'resolved' DO NOTHING
RETURNING *;

-- Seen again: count it, refresh what it says.
-- name: bump
UPDATE exceptions
SET count = count + 1, last_seen = @now, message = @message, context = @context, refs = @refs, severity = @severity
WHERE id = @id
RETURNING *;

-- name: setRefs
UPDATE exceptions SET refs = @refs WHERE id = @id;

-- A ref dropped (released) is kept in context.details.released, so the record still tells whom it held.
-- name: setRefsReleased
UPDATE exceptions SET refs = @refs, context = @context WHERE id = @id;

-- @states: a JSON array of states, or NULL for all.
-- name: list
SELECT * FROM exceptions
WHERE (@states IS NULL OR state IN (SELECT value FROM json_each(@states)))
  AND (@kind IS NULL OR kind = @kind)
  AND (@seller IS NULL OR seller = @seller)
  AND (@partner IS NULL OR partner = @partner)
ORDER BY id
LIMIT @limit;

-- name: assign
UPDATE exceptions SET owner = @owner WHERE id = @id;

-- Someone is on it; a resolved one stays resolved.
-- name: acknowledge
UPDATE exceptions SET state = 'acknowledged' WHERE id = @id AND state = 'open';

-- name: resolve
UPDATE exceptions SET state = 'resolved', note = @note, resolved_at = @now WHERE id = @id AND state <> 'resolved';
