-- 0005: packages shipped by a warehouse, each with OUR stable id (the packageReferenceId Amazon
-- is given), never the warehouse's own package number: two advices for one order both say
-- LX*1, and Amazon refuses a second package 1. AUTOINCREMENT: an id is never handed out twice,
-- even after rows are removed.
-- Append-only: never edit an applied migration; add 0006_... instead.

CREATE TABLE packages (
  id                    INTEGER PRIMARY KEY AUTOINCREMENT,
  seller                TEXT NOT NULL,
  order_id              TEXT NOT NULL,
  marketplace_id        TEXT NOT NULL,
  partner               TEXT NOT NULL,
  file_message_id       INTEGER NOT NULL REFERENCES messages(id),  -- the received file it came from
  warehouse_package_id  TEXT,                                      -- LX-01, a CSV column: the warehouse's number
  tracking_number       TEXT NOT NULL,
  carrier_code          TEXT,
  carrier_name          TEXT,
  shipping_method       TEXT,
  items                 TEXT NOT NULL,                             -- JSON [{orderItemId, sellerSku, quantity}]
  shipped_at            TEXT NOT NULL,
  state                 TEXT NOT NULL CHECK (state IN ('pending', 'held', 'confirmed', 'refused')),
  confirmed_at          TEXT,
  lag_seconds           INTEGER,                                   -- confirmed_at - shipped_at
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  -- One tracking number on one order is one package, however many advices repeat it.
  UNIQUE (seller, order_id, tracking_number)
);

CREATE INDEX packages_by_state ON packages (state, seller);
CREATE INDEX packages_by_file ON packages (file_message_id);
