-- SP-API quota buckets shared by every instance on the store (GCRA: one stored instant, tat_ms).
-- With interval T = 1000 / rate and tolerance (burst - 1) * T, a token is there at @now when
-- tat_ms - @now <= tolerance; taking it moves tat_ms to max(tat_ms, @now) + T. One statement,
-- so concurrent takes from several instances serialise on the row (SQLite: the write lock;
-- PostgreSQL: the upsert locks the row and evaluates SET on its latest committed version, also
-- under READ COMMITTED). Every parameter is cast: PostgreSQL cannot type them from arithmetic.

-- A new key starts full and gives its first token; an existing one refills by the elapsed time
-- (tat_ms may be behind @now: full) and either gives a token (wait_ms 0) or tells how long until one.
-- name: take
INSERT INTO quota_buckets AS b (key, rate, burst, tat_ms, wait_ms)
VALUES (@key, CAST(@rate AS DOUBLE PRECISION), CAST(@burst AS DOUBLE PRECISION), CAST(@now AS DOUBLE PRECISION) + 1000.0 / CAST(@rate AS DOUBLE PRECISION), 0)
ON CONFLICT (key) DO UPDATE SET
  wait_ms = CASE
    WHEN b.tat_ms - CAST(@now AS DOUBLE PRECISION) <= (b.burst - 1) * 1000.0 / b.rate THEN 0
    ELSE b.tat_ms - CAST(@now AS DOUBLE PRECISION) - (b.burst - 1) * 1000.0 / b.rate
  END,
  tat_ms = CASE
    WHEN b.tat_ms - CAST(@now AS DOUBLE PRECISION) > (b.burst - 1) * 1000.0 / b.rate THEN b.tat_ms
    WHEN b.tat_ms > CAST(@now AS DOUBLE PRECISION) THEN b.tat_ms + 1000.0 / b.rate
    ELSE CAST(@now AS DOUBLE PRECISION) + 1000.0 / b.rate
  END
RETURNING wait_ms;

-- Amazon answered 429: the bucket is empty at @now (the next token one interval later), unless
-- it already was emptier.
-- name: drain
UPDATE quota_buckets SET tat_ms = CASE
    WHEN tat_ms > CAST(@now AS DOUBLE PRECISION) + burst * 1000.0 / rate THEN tat_ms
    ELSE CAST(@now AS DOUBLE PRECISION) + burst * 1000.0 / rate
  END
WHERE key = @key;

-- The rate Amazon says it applies (x-amzn-RateLimit-Limit); the burst only when given.
-- name: setRate
UPDATE quota_buckets SET rate = CAST(@rate AS DOUBLE PRECISION), burst = COALESCE(CAST(@burst AS DOUBLE PRECISION), burst)
WHERE key = @key;

