-- 0007: the operator surface's history: samples of the health metrics (the dashboard's charts,
-- readable by `dockgate serve` from another process) and alerts, one row per cause and firing
-- (fired once, cleared once; the webhook deliveries are deliver-alert jobs).

CREATE TABLE health_samples (
  at      TEXT NOT NULL,
  metric  TEXT NOT NULL,
  scope   TEXT NOT NULL DEFAULT '',
  value   REAL NOT NULL
);
CREATE INDEX health_samples_metric ON health_samples(metric, at);
CREATE INDEX health_samples_at ON health_samples(at);

CREATE TABLE alerts (
  id               INTEGER PRIMARY KEY,
  rule             TEXT NOT NULL,
  key              TEXT NOT NULL,
  seller           TEXT,
  partner          TEXT,
  severity         TEXT NOT NULL,
  message          TEXT NOT NULL,
  details          TEXT NOT NULL,                  -- JSON
  state            TEXT NOT NULL,                  -- firing | cleared
  fired_at         TEXT NOT NULL,
  last_seen        TEXT NOT NULL,
  cleared_at       TEXT,
  cleared_because  TEXT
);
-- One firing row per cause; a cause that fires again after clearing is a new row.
CREATE UNIQUE INDEX alerts_firing ON alerts(rule, key) WHERE state = 'firing';
CREATE INDEX alerts_fired ON alerts(fired_at);
