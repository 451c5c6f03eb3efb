-- 0009: SP-API quota shared by every gateway instance on this store: one token bucket per key
-- (seller, operation), kept as a GCRA "theoretical arrival time" so that taking a token is one
-- upsert computing the refill from the stored row (atomic on both engines).
-- rate: requests per second (as the caller scales it); burst: tokens the bucket holds;
-- tat_ms: epoch ms at which the bucket would be full again (in the past: it is full);
-- wait_ms: what the last take answered (0 granted, else ms until a token), read by RETURNING.

CREATE TABLE quota_buckets (
  key      TEXT PRIMARY KEY,
  rate     DOUBLE PRECISION NOT NULL,
  burst    DOUBLE PRECISION NOT NULL,
  tat_ms   DOUBLE PRECISION NOT NULL,
  wait_ms  DOUBLE PRECISION NOT NULL DEFAULT 0
);
