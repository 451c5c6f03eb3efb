-- mirrors src/store/migrations/0002_received_interchange_unique.sql
-- 0002: a received interchange (sender qualifier:id, ISA13) is held by one recorded receipt only,
-- so that two receipts of it at the same time cannot both be recorded as new: the unique index
-- decides inside the transaction that records the file.

-- ISA13 as compared, on the receipt that holds it (NULL on duplicates and on everything else):
-- digits without their leading zeros (000003438 is 3438), other text as it is.
ALTER TABLE messages ADD COLUMN received_key TEXT;

-- Receipts recorded before this migration: the first of each (sender, control) holds it, the
-- later ones were its duplicates. (A new PostgreSQL database has no rows yet when this runs; the
-- fix-up stays so that the migration means what its SQLite twin means.) SQLite's
-- `control NOT GLOB '*[^0-9]*'` (digits only) is `control !~ '[^0-9]'` here.
UPDATE messages SET received_key = first.key
FROM (
  SELECT min(id) AS id,
         CASE WHEN control !~ '[^0-9]' THEN coalesce(nullif(ltrim(control, '0'), ''), '0') ELSE control END AS key
  FROM messages
  WHERE kind = 'interchange' AND direction = 'in' AND sender IS NOT NULL AND control IS NOT NULL AND control <> ''
  GROUP BY sender, key
) AS first
WHERE messages.id = first.id;

CREATE UNIQUE INDEX messages_received_interchange ON messages(sender, received_key) WHERE received_key IS NOT NULL;
