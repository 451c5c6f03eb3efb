-- 0001: message log, raw-file references, control-number sequences.
-- Append-only: never edit an applied migration; add 0002_... instead.

CREATE TABLE blobs (
  sha256      TEXT PRIMARY KEY,            -- content address of the plaintext
  size        INTEGER NOT NULL,            -- plaintext bytes
  encrypted   INTEGER NOT NULL DEFAULT 0,  -- 1 when stored with AES-256-GCM
  created_at  TEXT NOT NULL,
  purged_at   TEXT                         -- bytes deleted by the retention policy
);

CREATE TABLE messages (
  id             INTEGER PRIMARY KEY,
  parent_id      INTEGER REFERENCES messages(id),
  kind           TEXT NOT NULL CHECK (kind IN ('file', 'interchange', 'group', 'set')),
  direction      TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  partner        TEXT,
  control        TEXT,                     -- ISA13 / GS06 / ST02
  doc_type       TEXT,                     -- ST01 for sets, GS01 for groups
  version        TEXT,                     -- ISA12 / GS08
  sender         TEXT,                     -- qualifier:id for interchanges, GS02 for groups
  receiver       TEXT,
  file_name      TEXT,
  blob_sha256    TEXT REFERENCES blobs(sha256),
  status         TEXT NOT NULL,
  status_reason  TEXT,
  contains_pii   INTEGER NOT NULL DEFAULT 0,
  diagnostics    TEXT,                     -- JSON: counts and the first diagnostics
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  completed_at   TEXT,
  purged_at      TEXT
);
CREATE INDEX messages_parent ON messages(parent_id);
CREATE INDEX messages_interchange ON messages(kind, direction, sender, control);
CREATE INDEX messages_partner_control ON messages(partner, kind, direction, control);
CREATE INDEX messages_retention ON messages(contains_pii, completed_at) WHERE purged_at IS NULL;

CREATE TABLE message_events (
  id           INTEGER PRIMARY KEY,
  message_id   INTEGER NOT NULL REFERENCES messages(id),
  at           TEXT NOT NULL,
  from_status  TEXT,
  to_status    TEXT NOT NULL,
  reason       TEXT
);
CREATE INDEX message_events_message ON message_events(message_id);

CREATE TABLE control_numbers (
  partner  TEXT NOT NULL,
  kind     TEXT NOT NULL CHECK (kind IN ('ISA13', 'GS06', 'ST02')),
  last     INTEGER NOT NULL,
  PRIMARY KEY (partner, kind)
);
