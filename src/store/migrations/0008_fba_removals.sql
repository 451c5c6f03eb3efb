-- 0008: issue 12's business records.
-- fba_shipments: FBA inbound shipments sent to warehouses, by (seller, Amazon Shipment ID FBA...);
--   the ship order itself is an orders row with the same id, so delivery and 997s are the orders'.
-- expected_arrivals: what Amazon says it shipped back (removal shipments, customer returns);
-- receipt_postings: each warehouse receipt line posted against one of them, or left unmatched.
-- Message ids here are plain integers, not foreign keys: retention may purge the file a posting
-- came from while the business record stays.
-- Append-only: never edit an applied migration; add a new one instead.

CREATE TABLE fba_shipments (
  seller               TEXT NOT NULL,
  shipment_id          TEXT NOT NULL,                 -- the Amazon Shipment ID (FBA...)
  inbound_plan_id      TEXT NOT NULL,
  amazon_shipment_id   TEXT NOT NULL,                 -- 2024-03-20 sh...
  plan_name            TEXT,
  marketplace_id       TEXT NOT NULL,
  partner              TEXT NOT NULL,
  destination_fc       TEXT NOT NULL,
  amazon_reference_id  TEXT,
  amazon_status        TEXT NOT NULL,
  boxes                TEXT NOT NULL,                 -- JSON FbaBox[]
  labels_url           TEXT,
  state                TEXT NOT NULL CHECK (state IN ('held', 'sent', 'shipped', 'mismatched', 'tracking-accepted', 'tracking-refused', 'cancelled')),
  source               TEXT NOT NULL CHECK (source IN ('poll', 'manual')),
  sent_at              TEXT,
  shipped_at           TEXT,
  tracking_at          TEXT,
  shipped              TEXT,                          -- JSON, what the warehouse shipped
  problems             TEXT NOT NULL,                 -- JSON string[]
  asn_message_id       INTEGER,
  exception_id         INTEGER,
  created_at           TEXT NOT NULL,
  updated_at           TEXT NOT NULL,
  PRIMARY KEY (seller, shipment_id)
);
CREATE INDEX fba_shipments_by_state ON fba_shipments (state, partner);
CREATE INDEX fba_shipments_by_updated ON fba_shipments (updated_at);

CREATE TABLE expected_arrivals (
  id               INTEGER PRIMARY KEY,
  seller           TEXT NOT NULL,
  source           TEXT NOT NULL CHECK (source IN ('removal', 'return')),
  reference        TEXT NOT NULL,                     -- removal order id, or the Amazon order id of a return
  seller_sku       TEXT NOT NULL,
  fnsku            TEXT,
  lpn              TEXT,
  carrier          TEXT,
  tracking_number  TEXT,
  disposition      TEXT,
  expected         INTEGER NOT NULL CHECK (expected >= 0),
  received         INTEGER NOT NULL DEFAULT 0 CHECK (received >= 0),
  shipped_at       TEXT,
  state            TEXT NOT NULL CHECK (state IN ('expected', 'partially-received', 'received', 'over-received', 'cancelled')),
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
-- One arrival per report line's identity; '' stands for "none" so that the key is unique.
CREATE UNIQUE INDEX expected_arrivals_identity ON expected_arrivals
  (seller, source, reference, seller_sku, COALESCE(tracking_number, ''), COALESCE(lpn, ''));
CREATE INDEX expected_arrivals_by_lpn ON expected_arrivals (lpn) WHERE lpn IS NOT NULL;
CREATE INDEX expected_arrivals_by_tracking ON expected_arrivals (tracking_number) WHERE tracking_number IS NOT NULL;
CREATE INDEX expected_arrivals_by_state ON expected_arrivals (seller, state);

CREATE TABLE receipt_postings (
  id               INTEGER PRIMARY KEY,
  seller           TEXT,
  partner          TEXT NOT NULL,
  file_message_id  INTEGER NOT NULL,
  receipt_id       TEXT NOT NULL,
  line             INTEGER NOT NULL,
  arrival_id       INTEGER REFERENCES expected_arrivals (id),
  seller_sku       TEXT,
  warehouse_item   TEXT,
  quantity         INTEGER NOT NULL CHECK (quantity >= 0),
  condition        TEXT NOT NULL,
  disposition      TEXT NOT NULL CHECK (disposition IN ('sellable', 'damaged', 'quarantine')),
  matched_by       TEXT CHECK (matched_by IN ('lpn', 'removal-order', 'tracking-sku', 'manual')),
  state            TEXT NOT NULL CHECK (state IN ('posted', 'unmatched')),
  exception_id     INTEGER,
  at               TEXT NOT NULL
);
-- A receipt line is posted once, however often its file is processed again.
CREATE UNIQUE INDEX receipt_postings_line ON receipt_postings (partner, file_message_id, receipt_id, line);
CREATE INDEX receipt_postings_by_arrival ON receipt_postings (arrival_id) WHERE arrival_id IS NOT NULL;
CREATE INDEX receipt_postings_by_state ON receipt_postings (state, seller);
