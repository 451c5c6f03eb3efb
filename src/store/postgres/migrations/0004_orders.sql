-- mirrors src/store/migrations/0004_orders.sql
-- 0004: Amazon orders as the gateway tracks them, by (seller, AmazonOrderId), with the ship-order
-- sets that carried them to the warehouse: one revision per set sent (new, change, cancel).
-- The canonical ShipOrder (buyer name and address) is not here: it lives in the blob store
-- (encrypted when the store is), named by document_sha256; address_hash tells a changed
-- address without keeping the address.
-- Append-only: never edit an applied migration; add a new one instead.

CREATE TABLE orders (
  seller             TEXT NOT NULL,
  order_id           TEXT NOT NULL,
  marketplace_id     TEXT NOT NULL,
  partner            TEXT NOT NULL,                 -- the warehouse it goes to
  state              TEXT NOT NULL CHECK (state IN ('new', 'held', 'queued', 'delivered', 'acknowledged', 'rejected',
                       'partially-shipped', 'shipped', 'confirmed', 'cancelled', 'cancel-sent')),
  amazon_updated_at  TEXT NOT NULL,                 -- Amazon's lastUpdatedTime of the version held
  amazon_status      TEXT NOT NULL,                 -- Amazon's fulfillment status of that version
  ship_by            TEXT,                          -- ISO 8601 UTC: text order is time order
  document_sha256    TEXT NOT NULL,
  address_hash       TEXT NOT NULL,
  lines              TEXT NOT NULL,                 -- JSON OrderLineRecord[]
  revision           BIGINT NOT NULL DEFAULT 0,    -- revisions sent
  held_by            BIGINT,                       -- the exception holding it
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL,
  PRIMARY KEY (seller, order_id)
);
CREATE INDEX orders_by_state ON orders (state, partner);
-- The late-order check: open orders by ship-by time.
CREATE INDEX orders_by_ship_by ON orders (ship_by)
  WHERE ship_by IS NOT NULL AND state NOT IN ('shipped', 'confirmed', 'cancelled', 'cancel-sent');

CREATE TABLE order_revisions (
  seller           TEXT NOT NULL,
  order_id         TEXT NOT NULL,
  revision         BIGINT NOT NULL,
  purpose          TEXT NOT NULL CHECK (purpose IN ('new', 'change', 'cancel')),
  file_message_id  BIGINT NOT NULL REFERENCES messages(id),   -- the outbound file
  set_message_id   BIGINT REFERENCES messages(id),            -- its set (X12), for the 997
  created_at       TEXT NOT NULL,
  PRIMARY KEY (seller, order_id, revision),
  FOREIGN KEY (seller, order_id) REFERENCES orders (seller, order_id)
);
CREATE INDEX order_revisions_by_set ON order_revisions (set_message_id) WHERE set_message_id IS NOT NULL;
CREATE INDEX order_revisions_by_file ON order_revisions (file_message_id);
