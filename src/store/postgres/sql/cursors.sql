-- PostgreSQL's own text for the cursor queries that differ from src/store/sqlite/sql/cursors.sql.

-- A watermark is read, worked from and moved on in one transaction (an order poll): the read
-- locks the row until that transaction ends, so an instance moving it meanwhile is waited for
-- instead of overwritten with an older value. (SQLite's BEGIN IMMEDIATE serialises the same.)
-- name: get
SELECT value FROM cursors WHERE name = ? FOR UPDATE;
