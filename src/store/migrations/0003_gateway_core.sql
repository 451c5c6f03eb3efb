-- 0003: the gateway's durable work core: the outbox of outside work with leases (jobs), the
-- exception queue, cursors (watermarks), named locks of scheduled jobs, the documents found in
-- each received file, and the status axes of outbound messages.
-- State values are checked by the code against the lists in src/store/work.ts (one list per
-- record type), not by CHECK constraints: a state added to a list then needs no table rebuild.

CREATE TABLE jobs (
  id               INTEGER PRIMARY KEY,
  kind             TEXT NOT NULL,
  key              TEXT NOT NULL UNIQUE,          -- idempotency key: one job per unit of work
  seller           TEXT,
  partner          TEXT,
  payload          TEXT NOT NULL,                 -- JSON
  state            TEXT NOT NULL,                 -- pending | done | dead
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TEXT NOT NULL,
  lease_owner      TEXT,
  lease_until      TEXT,
  last_error       TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  done_at          TEXT
);
-- Claims: pending jobs whose time has come, oldest first.
CREATE INDEX jobs_claim ON jobs(next_attempt_at, id) WHERE state = 'pending';
-- Retention: done jobs by completion.
CREATE INDEX jobs_done ON jobs(done_at) WHERE state = 'done';

CREATE TABLE exceptions (
  id           INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL,
  severity     TEXT NOT NULL,
  seller       TEXT,
  partner      TEXT,
  key          TEXT NOT NULL,                     -- business key of the cause (SKU, carrier, order id, file)
  message      TEXT NOT NULL,
  context      TEXT NOT NULL,                     -- JSON ExceptionContext
  refs         TEXT NOT NULL,                     -- JSON array of affected business keys, capped
  owner        TEXT,
  state        TEXT NOT NULL,                     -- open | acknowledged | resolved
  note         TEXT,
  first_seen   TEXT NOT NULL,
  last_seen    TEXT NOT NULL,
  count        INTEGER NOT NULL DEFAULT 1,
  resolved_at  TEXT
);
-- One cause is one unresolved row: seeing it again bumps that row. Once resolved, the same cause
-- seen again opens a new row.
CREATE UNIQUE INDEX exceptions_open_cause ON exceptions(kind, coalesce(seller, ''), coalesce(partner, ''), key) WHERE state <> 'resolved';
CREATE INDEX exceptions_state ON exceptions(state, last_seen);

CREATE TABLE cursors (
  name        TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

CREATE TABLE locks (
  name         TEXT PRIMARY KEY,
  owner        TEXT NOT NULL,
  lease_until  TEXT NOT NULL
);

CREATE TABLE inbound_documents (
  file_message_id  INTEGER NOT NULL REFERENCES messages(id),
  idx              INTEGER NOT NULL,              -- position in the file, 0-based
  where_text       TEXT NOT NULL,                 -- "set 945 0001 (line 3)"
  document         TEXT NOT NULL,
  seller           TEXT,
  key              TEXT,
  state            TEXT NOT NULL,
  reason           TEXT,
  at               TEXT NOT NULL,
  PRIMARY KEY (file_message_id, idx)
);

-- Status axes of outbound messages (files, interchanges, groups, sets).
ALTER TABLE messages ADD COLUMN validation TEXT;
ALTER TABLE messages ADD COLUMN delivery TEXT;
ALTER TABLE messages ADD COLUMN delivered_at TEXT;
ALTER TABLE messages ADD COLUMN remote_dir TEXT;
ALTER TABLE messages ADD COLUMN ack_state TEXT;
ALTER TABLE messages ADD COLUMN acked_at TEXT;
ALTER TABLE messages ADD COLUMN ack_due_at TEXT;
CREATE INDEX messages_ack_overdue ON messages(ack_due_at) WHERE ack_state = 'awaiting';
CREATE INDEX messages_delivered_unconfirmed ON messages(partner, delivered_at) WHERE delivery = 'delivered';
