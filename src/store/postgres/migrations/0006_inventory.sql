-- mirrors src/store/migrations/0006_inventory.sql
-- 0006: inventory. What Amazon last accepted per (seller, SKU) and what a publish job is taking
-- there now; which channel (MFN / FBA) each SKU sells on, cached so that a run does not read
-- every listing; the last snapshot applied per (partner, seller), so that an older one is never
-- applied over it; and the stock it left per warehouse item and state, so that a change report
-- (846 BIA-02 MM) has a count to add to.
-- Append-only: never edit an applied migration; add 0007_... instead.

CREATE TABLE inventory_quantities (
  seller         TEXT NOT NULL,
  sku            TEXT NOT NULL,
  accepted       BIGINT,            -- the last quantity Amazon accepted (NULL: never published)
  accepted_at    TEXT,
  pending        BIGINT,            -- the quantity a job is taking to Amazon now (NULL: none)
  pending_since  TEXT,
  PRIMARY KEY (seller, sku)
);

CREATE TABLE inventory_channels (
  seller      TEXT NOT NULL,
  sku         TEXT NOT NULL,
  channel     TEXT NOT NULL CHECK (channel IN ('MFN', 'FBA', 'unknown')),
  checked_at  TEXT NOT NULL,
  PRIMARY KEY (seller, sku)
);

-- No foreign key to messages: retention purges old files, the snapshot they carried stays the
-- last one applied.
CREATE TABLE inventory_snapshots (
  partner          TEXT NOT NULL,
  seller           TEXT NOT NULL,
  as_of            TEXT NOT NULL,    -- ISO 8601 UTC (toISOString): compared as text
  applied_at       TEXT NOT NULL,
  file_message_id  BIGINT NOT NULL,
  PRIMARY KEY (partner, seller)
);

CREATE TABLE inventory_stock (
  partner         TEXT NOT NULL,
  seller          TEXT NOT NULL,
  warehouse_item  TEXT NOT NULL,
  state           TEXT NOT NULL,     -- the warehouse's own stock state code (33, AVAILABLE, QH...)
  quantity        BIGINT NOT NULL,
  PRIMARY KEY (partner, seller, warehouse_item, state)
);
